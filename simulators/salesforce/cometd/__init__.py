"""The Streaming API (CometD / Bayeux 1.0, long polling) over the org's event bus.

``clients`` (sessions, timeouts on real time), ``protocol`` (one request's messages),
``render`` (a bus event as CometD delivers it), ``errors`` (every error string). The aiohttp
handler is ``simulators/salesforce/api/cometd.py``. Facts: salesforce-events.md §0 and §1.
"""

from simulators.salesforce.cometd.clients import CometdSettings, StreamClient, StreamClients
from simulators.salesforce.cometd.protocol import Caller, Exchange

__all__ = ["Caller", "CometdSettings", "Exchange", "StreamClient", "StreamClients"]

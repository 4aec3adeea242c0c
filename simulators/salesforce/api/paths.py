"""Salesforce's servers merge repeated slashes in a path: ``//services/data/v50.0/query`` is
``/services/data/v50.0/query``. The Salesforce CLI relies on it: it keeps the instance URL with a
trailing slash (``https://host/``) and appends ``/services/...`` to it. aiohttp routes before any
middleware runs, so this inner middleware routes the merged path again and calls its handler.
"""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.typedefs import Handler
from yarl import URL

_SLASHES = re.compile(r"/{2,}")


@web.middleware
async def merge_slashes(request: web.Request, handler: Handler) -> web.StreamResponse:
    raw = request.rel_url.raw_path
    if "//" not in raw:
        return await handler(request)
    url = URL.build(path=_SLASHES.sub("/", raw), query_string=request.rel_url.raw_query_string, encoded=True)
    # The kit's pipeline may have read the body already (request limits); aiohttp refuses to
    # clone a read request, so the clone is made unread and then handed the same bytes.
    body = request._read_bytes
    request._read_bytes = None
    try:
        merged = request.clone(rel_url=url)
    finally:
        request._read_bytes = body
    merged._read_bytes = body
    match = await request.app.router.resolve(merged)
    match.add_app(request.app)
    match.freeze()
    merged._match_info = match  # what aiohttp's Application._handle does after routing
    return await match.handler(merged)

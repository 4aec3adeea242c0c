"""Before any check runs: is the target an HTTP server speaking this contract?

Each way it can fail (down, not HTTP, not JSON, the token refused, another contract or OpenAPI
version) becomes one ``TargetError`` line; ``q2c verify`` prints it and exits 2, never a
traceback.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import yaml

from contracts.conformance.client import USER_AGENT
from contracts.conformance.spec import Contract, major

TIMEOUT = 10.0
SPEC_PATHS = ("/openapi.yaml", "/openapi.json")
# libyaml when present: a whole contract parses ten times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TargetError(Exception):
    """The target cannot be verified; the message is one line for the user."""


def check_url(target: str) -> str:
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(f"--target must be an http(s) URL such as http://127.0.0.1:8702, not {target!r}")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise TargetError(f"--target has an invalid port: {target!r}") from None
    return target.rstrip("/")


def _describe(exc: BaseException) -> str:
    message = getattr(exc, "message", None)
    text = message if isinstance(message, str) and message else str(exc)
    flat = " ".join(part.strip() for part in text.splitlines() if part.strip())
    return f"{type(exc).__name__}: {flat[:160]}" if flat else type(exc).__name__


async def _get(session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
    base = url.split("/", 3)[:3]
    where = "/".join(base)
    try:
        async with session.get(url, headers=headers, allow_redirects=False) as response:
            return response.status, response.content_type, await response.read()
    except aiohttp.ClientConnectorError as exc:
        reason = "connection refused" if isinstance(exc.os_error, ConnectionRefusedError) else _describe(exc)
        raise TargetError(f"cannot connect to {where}: {reason} (is the adapter running?)") from None
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientResponseError, aiohttp.ClientPayloadError) as exc:
        raise TargetError(f"{where} does not speak HTTP ({_describe(exc)})") from None
    except TimeoutError:
        raise TargetError(f"no answer from {where} within {TIMEOUT:g}s") from None
    except aiohttp.ClientError as exc:
        raise TargetError(f"cannot talk to {where}: {_describe(exc)}") from None


async def preflight(target: str, token: str, contract: Contract) -> dict[str, Any]:
    """The adapter's capabilities, after checking it is reachable and speaks this contract."""
    base = check_url(target)
    auth = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout, headers={"User-Agent": USER_AGENT}) as session:
        status, content_type, body = await _get(session, base + "/capabilities", auth)
        if status in (401, 403):
            raise TargetError(f"the adapter refused the token ({status} at GET /capabilities): check --token")
        if status != 200:
            raise TargetError(
                f"GET /capabilities answered {status} ({content_type or 'no content type'}): "
                "is --target the adapter's base URL?"
            )
        if "json" not in content_type:
            raise TargetError(f"GET /capabilities answered {content_type or 'no content type'}, not JSON")
        try:
            capabilities = json.loads(body)
        except ValueError:
            raise TargetError("GET /capabilities answered a body that is not JSON") from None
        if not isinstance(capabilities, dict):
            raise TargetError("GET /capabilities answered JSON that is not an object")
        declared = str(capabilities.get("contract_version", ""))
        if declared and major(declared) != major(contract.version):
            raise TargetError(
                f"the adapter implements contract version {declared}; "
                f"this q2c verify checks the billing adapter contract {contract.version}"
            )
        for path in SPEC_PATHS:
            await _served_spec(session, base + path, auth, contract)
    return capabilities


async def _served_spec(
    session: aiohttp.ClientSession, url: str, auth: dict[str, str], contract: Contract
) -> None:
    """An adapter need not serve its OpenAPI; one that does must serve this contract's version."""
    status, _, body = await _get(session, url, auth)
    if status != 200:
        return
    try:
        document = yaml.load(body, Loader=_LOADER)
    except yaml.YAMLError:
        return
    if not isinstance(document, dict) or "openapi" not in document:
        return
    served = str(document["openapi"])
    info = document.get("info")
    version = str(info.get("version", "")) if isinstance(info, dict) else ""
    path = urlsplit(url).path
    if not served.startswith("3.1"):
        raise TargetError(
            f"{path} is an OpenAPI {served} document; the billing adapter contract is OpenAPI "
            f"{contract.openapi} (version {contract.version})"
        )
    if version and major(version) != major(contract.version):
        raise TargetError(
            f"{path} describes version {version} of the API; this q2c verify checks the billing adapter "
            f"contract {contract.version}"
        )

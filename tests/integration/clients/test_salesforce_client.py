"""The core's Salesforce client against a small scripted server: token refresh, limit reserve,
backoff on locks and 503, collections, bulk, SOQL escaping."""

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from integration.clients.salesforce import (
    LimitReserveReached,
    SalesforceApiError,
    SalesforceClient,
    SalesforceConfig,
    soql_in,
    soql_quote,
)


class Script:
    """A fake org whose answers tests script, recording what it was sent."""

    def __init__(self) -> None:
        self.tokens = 0
        self.calls: list[tuple[str, str, Any]] = []
        self.answers: list[Callable[[web.Request, Any], web.Response]] = []
        self.used, self.limit = 0, 1000

    async def token(self, request: web.Request) -> web.Response:
        self.tokens += 1
        form = await request.post()
        assert form["grant_type"] == "client_credentials"
        assert request.headers["Authorization"].startswith("Basic ")
        return web.json_response(
            {"access_token": f"tok{self.tokens}", "instance_url": str(request.url.origin())}
        )

    async def api(self, request: web.Request) -> web.Response:
        body = (
            await request.json()
            if request.can_read_body and request.content_type == "application/json"
            else None
        )
        self.calls.append((request.method, request.path_qs, body))
        self.used += 1
        answer = self.answers.pop(0) if self.answers else (lambda r, b: web.json_response({}))
        response = answer(request, body)
        response.headers["Sforce-Limit-Info"] = f"api-usage={self.used}/{self.limit}"
        return response


def session_expired(request: web.Request, body: Any) -> web.Response:
    return web.json_response(
        [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], status=401
    )


def locked(request: web.Request, body: Any) -> web.Response:
    return web.json_response(
        [{"message": "unable to obtain exclusive access", "errorCode": "UNABLE_TO_LOCK_ROW"}], status=400
    )


def unavailable(request: web.Request, body: Any) -> web.Response:
    return web.json_response([{"message": "Server busy", "errorCode": "SERVER_UNAVAILABLE"}], status=503)


def query_page(
    records: list[dict[str, Any]], next_url: str | None = None
) -> Callable[[web.Request, Any], web.Response]:
    def answer(request: web.Request, body: Any) -> web.Response:
        page: dict[str, Any] = {"totalSize": 3, "done": next_url is None, "records": records}
        if next_url:
            page["nextRecordsUrl"] = next_url
        return web.json_response(page)

    return answer


@pytest.fixture
async def org(aiohttp_server: AiohttpServer) -> tuple[Script, str]:
    script = Script()
    app = web.Application()
    app.router.add_post("/services/oauth2/token", script.token)
    app.router.add_route("*", "/services/data/{tail:.*}", script.api)
    server = await aiohttp_server(app)
    return script, str(server.make_url("")).rstrip("/")


def client(url: str, sleeps: list[float], **config: Any) -> SalesforceClient:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return SalesforceClient(
        SalesforceConfig(login_url=url, client_id="id", client_secret="secret", **config), sleep=sleep
    )


async def test_query_follows_next_records_url_and_reads_the_limit(org: tuple[Script, str]) -> None:
    script, url = org
    script.answers = [
        query_page([{"Id": "1"}, {"Id": "2"}], "/services/data/v62.0/query/01gX-2"),
        query_page([{"Id": "3"}]),
    ]
    async with client(url, []) as sf:
        records = await sf.query("SELECT Id FROM Account")
        assert [r["Id"] for r in records] == ["1", "2", "3"]
        assert (sf.usage.used, sf.usage.maximum, sf.calls) == (2, 1000, 2)
    assert script.calls[1][1] == "/services/data/v62.0/query/01gX-2"


async def test_an_expired_session_logs_in_again_once(org: tuple[Script, str]) -> None:
    script, url = org
    script.answers = [session_expired, query_page([])]
    async with client(url, []) as sf:
        assert await sf.query("SELECT Id FROM Account") == []
    assert script.tokens == 2


async def test_a_second_401_after_refresh_is_raised(org: tuple[Script, str]) -> None:
    script, url = org
    script.answers = [session_expired, session_expired]
    async with client(url, []) as sf:
        with pytest.raises(SalesforceApiError) as error:
            await sf.query("SELECT Id FROM Account")
    assert (error.value.status, error.value.error_code) == (401, "INVALID_SESSION_ID")


async def test_locks_and_503_back_off_with_jitter_then_succeed(org: tuple[Script, str]) -> None:
    script, url = org
    sleeps: list[float] = []
    script.answers = [locked, unavailable, query_page([{"Id": "1"}])]
    async with client(url, sleeps, backoff_base=0.2) as sf:
        assert len(await sf.query("SELECT Id FROM Account")) == 1
    assert len(sleeps) == 2
    assert 0.1 <= sleeps[0] <= 0.2 and 0.2 <= sleeps[1] <= 0.4  # noqa: PT018 - bounds of one jittered delay


async def test_the_limit_reserve_stops_calls_before_the_org_runs_out(org: tuple[Script, str]) -> None:
    script, url = org
    script.used, script.limit = 949, 1000
    async with client(url, []) as sf:
        await sf.query("SELECT Id FROM Account")  # brings usage to 950/1000: 5% left
        with pytest.raises(LimitReserveReached, match="keeping the last 50 calls in reserve"):
            await sf.query("SELECT Id FROM Account")
    assert len(script.calls) == 1


async def test_collections_batch_by_200_and_retry_only_locked_records(org: tuple[Script, str]) -> None:
    script, url = org
    sleeps: list[float] = []

    def results(request: web.Request, body: Any) -> web.Response:
        out = []
        for record in body["records"]:
            if record["Name"] == "locked-once" and not getattr(results, "retried", False):
                out.append(
                    {"success": False, "errors": [{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "locked"}]}
                )
            elif record["Name"] == "bad":
                out.append(
                    {"success": False, "errors": [{"statusCode": "REQUIRED_FIELD_MISSING", "message": "x"}]}
                )
            else:
                out.append({"id": record["Id"], "success": True, "errors": []})
        results.retried = True  # type: ignore[attr-defined]
        return web.json_response(out)

    script.answers = [results] * 4
    records = [{"Id": f"r{n}", "Name": "ok"} for n in range(250)]
    records[3]["Name"], records[210]["Name"] = "locked-once", "bad"
    async with client(url, sleeps) as sf:
        out = await sf.update("Account", records)
    assert [len(body["records"]) for _, _, body in script.calls] == [200, 1, 50]
    assert [r.success for r in out].count(False) == 1
    assert out[210].error_text == "REQUIRED_FIELD_MISSING: x"
    assert out[3].success is True
    assert script.calls[0][2]["records"][0]["attributes"] == {"type": "Account"}


async def test_large_writes_go_through_bulk_api_2(org: tuple[Script, str]) -> None:
    script, url = org
    good = '"sf__Id","sf__Created",Id,Name\n"r0","false","r0","a"\n'
    bad = '"sf__Id","sf__Error",Id,Name\n"r1","FIELD_CUSTOM_VALIDATION_EXCEPTION:no:Name","r1","b"\n'
    script.answers = [
        lambda r, b: web.json_response({"id": "750X", "state": "Open"}),
        lambda r, b: web.Response(status=201),
        lambda r, b: web.json_response({"id": "750X", "state": "UploadComplete"}),
        lambda r, b: web.json_response({"id": "750X", "state": "InProgress"}),
        lambda r, b: web.json_response({"id": "750X", "state": "JobComplete"}),
        lambda r, b: web.Response(text=good, content_type="text/csv"),
        lambda r, b: web.Response(text=bad, content_type="text/csv"),
    ]
    sleeps: list[float] = []
    async with client(url, sleeps, bulk_threshold=2) as sf:
        out = await sf.update("Account", [{"Id": "r0", "Name": "a"}, {"Id": "r1", "Name": "b"}])
    assert [c[0] for c in script.calls] == ["POST", "PUT", "PATCH", "GET", "GET", "GET", "GET"]
    assert script.calls[0][2] == {
        "object": "Account",
        "operation": "update",
        "contentType": "CSV",
        "lineEnding": "LF",
    }
    assert [r.success for r in out] == [True, False]
    assert out[1].errors == [
        {"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "no", "fields": ["Name"]}
    ]
    assert len(sleeps) == 1  # one poll interval while InProgress


def test_soql_literals_are_escaped() -> None:
    assert soql_quote('O\'Brien \\ "x"\n') == "'O\\'Brien \\\\ \\\"x\\\"\\n'"
    assert soql_in(["a", "b'c"]) == "('a','b\\'c')"


async def test_an_unreachable_org_is_a_typed_error_after_the_retries(org: tuple[Script, str]) -> None:
    _, url = org
    sleeps: list[float] = []
    async with client(url, sleeps, max_retries=2) as sf:
        await sf.authenticate()
        sf._instance_url = "http://127.0.0.1:9"  # the discard port: nothing listens there
        with pytest.raises(SalesforceApiError) as error:
            await sf.query("SELECT Id FROM Account")
    assert (error.value.status, error.value.error_code) == (0, "UNREACHABLE")
    assert len(sleeps) == 2  # backed off between the attempts, then gave up


async def test_a_non_json_error_page_is_a_typed_error(org: tuple[Script, str]) -> None:
    script, url = org
    script.answers = [
        lambda r, b: web.Response(status=509, text="<html>Bandwidth</html>", content_type="text/html")
    ]
    async with client(url, []) as sf:
        with pytest.raises(SalesforceApiError) as error:
            await sf.query("SELECT Id FROM Account")
    assert (error.value.status, error.value.error_code) == (509, "UNKNOWN")
    assert "Bandwidth" in error.value.message

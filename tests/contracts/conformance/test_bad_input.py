"""Targets ``q2c verify`` cannot check get one clear line and exit 2, never a traceback: down, not
speaking HTTP, answering non-JSON, refusing the token, or another contract / OpenAPI version."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from aiohttp import web
from typer.testing import CliRunner

from q2c.cli import app
from tests.support.conformance import API_KEY
from tests.support.servers import running_app

from .adapters import Adapter, Answer, Forward


def _verify(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify", *args])
    return result.exit_code, result.output


def _assert_one_line(code: int, output: str, fragment: str) -> None:
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("q2c verify: "), output
    assert fragment in lines[0], output
    assert "Traceback" not in output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def not_http_server() -> Iterator[int]:
    """Accepts connections and answers like an SSH server."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.05)  # accept() wakes up to see the stop flag
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def html_app() -> web.Application:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>Welcome</body></html>", content_type="text/html")

    application = web.Application()
    application.router.add_get("/{tail:.*}", page)
    return application


class OldOpenApi(Adapter):
    """Serves an OpenAPI 3.0 document at /openapi.yaml."""

    def on_response(self, forward: Forward, answer: Answer) -> None:
        if forward.path == "/openapi.yaml":
            document = yaml.load(answer.body, Loader=yaml.CSafeLoader)
            document["openapi"] = "3.0.3"
            answer.body = yaml.dump(document, Dumper=yaml.CSafeDumper).encode()


class NextMajorContract(Adapter):
    """Declares contract version 2.0.0 in /capabilities."""

    def on_response(self, forward: Forward, answer: Answer) -> None:
        if forward.path == "/capabilities" and answer.status == 200:
            body = answer.json()
            body["contract_version"] = "2.0.0"
            answer.set_json(body)


def test_a_target_that_is_down(tmp_path: Path) -> None:
    port = _free_port()
    code, output = _verify(
        "--target", f"http://127.0.0.1:{port}", "--token", API_KEY, "--report-dir", str(tmp_path)
    )
    _assert_one_line(code, output, f"cannot connect to http://127.0.0.1:{port}")
    assert "is the adapter running?" in output


def test_a_target_that_does_not_speak_http(tmp_path: Path) -> None:
    with not_http_server() as port:
        code, output = _verify(
            "--target", f"http://127.0.0.1:{port}", "--token", API_KEY, "--report-dir", str(tmp_path)
        )
    _assert_one_line(code, output, "does not speak HTTP")


def test_a_target_answering_html(tmp_path: Path) -> None:
    with running_app(html_app, name="html") as running:
        code, output = _verify("--target", running.url, "--token", API_KEY, "--report-dir", str(tmp_path))
    _assert_one_line(code, output, "GET /capabilities answered text/html, not JSON")


def test_a_target_serving_another_openapi_version(billing_url: str, tmp_path: Path) -> None:
    with running_app(OldOpenApi(billing_url).app, name="old") as running:
        code, output = _verify("--target", running.url, "--token", API_KEY, "--report-dir", str(tmp_path))
    _assert_one_line(code, output, "/openapi.yaml is an OpenAPI 3.0.3 document")
    assert "OpenAPI 3.1.0" in output


def test_an_adapter_of_another_contract_major_version(billing_url: str, tmp_path: Path) -> None:
    with running_app(NextMajorContract(billing_url).app, name="next") as running:
        code, output = _verify("--target", running.url, "--token", API_KEY, "--report-dir", str(tmp_path))
    _assert_one_line(code, output, "implements contract version 2.0.0")


def test_a_refused_token(billing_url: str, tmp_path: Path) -> None:
    code, output = _verify("--target", billing_url, "--token", "not-the-key", "--report-dir", str(tmp_path))
    _assert_one_line(code, output, "the adapter refused the token (401 at GET /capabilities)")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--target", "127.0.0.1:8702"], "--target must be an http(s) URL"),
        (["--target", "http://127.0.0.1:8702", "--only", "lint"], "unknown stage 'lint'"),
        (["--target", "http://127.0.0.1:8702", "--only", "fuzz", "--skip", "fuzz"], "leave no stage to run"),
        (["--target", "http://127.0.0.1:8702", "--baseline", "/nonexistent/b.json"], "does not exist"),
    ],
)
def test_unusable_options(args: list[str], fragment: str, tmp_path: Path) -> None:
    code, output = _verify(*args, "--token", API_KEY, "--report-dir", str(tmp_path))
    _assert_one_line(code, output, fragment)

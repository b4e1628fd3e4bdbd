"""The lean HTTP client against real sockets on 127.0.0.1: framing, keep-alive, failures."""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl
import subprocess
from collections.abc import Awaitable, Callable

import pytest

from rolegraph.models.http import ConnectionFailed, HTTPClient, RequestTimeout

Handler = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]  # -> keep the connection


class RawServer:
    """A TCP server that reads one request at a time and lets the test write the response."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1/chat/completions"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,  # a GET
                )
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                if not await self.handler(body, writer):
                    break
        except (asyncio.IncompleteReadError, OSError):  # the client hung up (TLS: abruptly)
            pass
        finally:
            writer.close()


def reply(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


async def test_sequential_requests_share_a_connection_and_headers_are_sent():
    server = RawServer(lambda body, w: _write(w, reply(body)))
    client = HTTPClient(user_agent="rolegraph-test")
    async with server as url:
        for i in range(4):
            response = await client.post(url, b'{"n": %d}' % i, {"Authorization": "Bearer k"}, 5)
            assert response.status == 200 and response.json() == {"n": i}
        await client.aclose()
    assert server.connections == 1
    head = server.requests[0].split(b"\r\n\r\n")[0].decode()
    assert head.startswith("POST /v1/chat/completions HTTP/1.1")
    assert "Authorization: Bearer k" in head and "User-Agent: rolegraph-test" in head
    assert f"Host: 127.0.0.1:{url.split(':')[2].split('/')[0]}" in head


async def _write(writer: asyncio.StreamWriter, data: bytes, keep: bool = True) -> bool:
    writer.write(data)
    await writer.drain()
    return keep


async def test_concurrent_requests_open_one_connection_each_then_reuse_them():
    async def slow(body: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.05)
        return await _write(writer, reply(body))

    server = RawServer(slow)
    client = HTTPClient()
    async with server as url:
        for _ in range(3):
            bodies = await asyncio.gather(
                *(client.post(url, b'{"k": %d}' % k, {}, 5) for k in range(8))
            )
            assert [b.json()["k"] for b in bodies] == list(range(8))
        await client.aclose()
    assert server.connections == 8


async def test_chunked_and_gzipped_bodies_are_decoded():
    payload = json.dumps({"text": "x" * 5000}).encode()
    zipped = gzip.compress(payload)

    async def chunked(body: bytes, writer: asyncio.StreamWriter) -> bool:
        chunks = [zipped[i : i + 1000] for i in range(0, len(zipped), 1000)]
        framed = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(c), c) for c in chunks)
        head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
        return await _write(writer, head + framed + b"0\r\nX-Trailer: 1\r\n\r\n")

    server = RawServer(chunked)
    client = HTTPClient()
    async with server as url:
        first = await client.post(url, b"{}", {}, 5)
        second = await client.post(url, b"{}", {}, 5)
        await client.aclose()
    assert first.json() == second.json() == {"text": "x" * 5000}
    assert server.connections == 1  # the chunked body ended cleanly, so the connection was kept


async def test_connection_close_and_read_to_end_responses_are_not_reused():
    async def closing(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n" + body)
        return False

    server = RawServer(closing)
    client = HTTPClient()
    async with server as url:
        responses = [await client.post(url, b'{"a": 1}', {}, 5) for _ in range(3)]
        await client.aclose()
    assert [r.status for r in responses] == [503] * 3
    assert responses[0].body == b'{"a": 1}'  # no length: the body ran to the close
    assert server.connections == 3


@pytest.mark.parametrize("pause", [0.0, 0.05])  # reused before / after the close arrives
async def test_a_kept_connection_the_server_dropped_is_replaced_transparently(pause: float):
    async def once_per_connection(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(reply(body))  # says keep-alive, then hangs up anyway
        await writer.drain()
        return False

    server = RawServer(once_per_connection)
    client = HTTPClient()
    async with server as url:
        for i in range(3):
            assert (await client.post(url, b'{"i": %d}' % i, {}, 5)).json() == {"i": i}
            await asyncio.sleep(pause)
        await client.aclose()
    assert len(server.requests) == 3  # each request reached the server exactly once
    assert server.connections == 3


async def test_timeout_raises_and_the_connection_is_discarded():
    async def hang_first(body: bytes, writer: asyncio.StreamWriter) -> bool:
        if body == b"hang":
            await asyncio.sleep(5)
        return await _write(writer, reply(b'{"ok": true}'))

    server = RawServer(hang_first)
    client = HTTPClient()
    async with server as url:
        with pytest.raises(RequestTimeout, match=r"within 0\.2 s"):
            await client.post(url, b"hang", {}, 0.2)
        assert (await client.post(url, b"fine", {}, 5)).json() == {"ok": True}
        await client.aclose()
    assert server.connections == 2  # the timed-out connection was not reused


async def test_unreachable_server_and_garbage_are_transport_errors():
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    client = HTTPClient()
    with pytest.raises(ConnectionFailed, match=f"127.0.0.1:{port}"):
        await client.post(f"http://127.0.0.1:{port}/v1", b"{}", {}, 5)

    async def garbage(body: bytes, writer: asyncio.StreamWriter) -> bool:
        return await _write(writer, b"SSH-2.0-OpenSSH\r\n\r\n", keep=False)

    async with RawServer(garbage) as url:
        with pytest.raises(ConnectionFailed, match="not an HTTP response"):
            await client.post(url, b"{}", {}, 5)
    await client.aclose()
    with pytest.raises(ValueError, match="not an http"):
        await client.post("ftp://example.org/x", b"", {}, 5)


async def test_behind_a_proxy_requests_go_through_it(monkeypatch: pytest.MonkeyPatch):
    """With HTTP_PROXY set, requests go to the proxy (via httpx), which sees the full URL."""

    async def as_proxy(body: bytes, writer: asyncio.StreamWriter) -> bool:
        return await _write(writer, reply(b'{"via": "proxy"}'))

    proxy = RawServer(as_proxy)
    async with proxy as proxy_url:
        proxy_root = proxy_url.split("/v1")[0]
        monkeypatch.setenv("HTTP_PROXY", proxy_root)
        monkeypatch.setenv("NO_PROXY", "")
        client = HTTPClient()
        response = await client.post("http://models.internal:8000/v1/chat", b"{}", {}, 5)
        await client.aclose()
    assert response.json() == {"via": "proxy"}
    assert proxy.requests[0].startswith(b"POST http://models.internal:8000/v1/chat HTTP/1.1")


def _self_signed(tmp_path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, made by the openssl command."""
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_https_verifies_the_server_and_trusts_ssl_cert_file(
    tmp_path, monkeypatch: pytest.MonkeyPatch
):
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = RawServer(lambda body, w: _write(w, reply(body)))
    server.server = await asyncio.start_server(server._serve, "127.0.0.1", 0, ssl=context)
    port = server.server.sockets[0].getsockname()[1]
    url = f"https://127.0.0.1:{port}/v1/chat/completions"
    try:
        untrusted = HTTPClient()
        with pytest.raises(ConnectionFailed, match="CERTIFICATE_VERIFY_FAILED"):
            await untrusted.post(url, b"{}", {}, 5)
        await untrusted.aclose()
        monkeypatch.setenv("SSL_CERT_FILE", cert)
        client = HTTPClient()
        answers = [(await client.post(url, b'{"n": %d}' % i, {}, 5)).json() for i in range(3)]
        await client.aclose()
        await asyncio.sleep(0.05)  # let the server see the connection close
    finally:
        await server.__aexit__()
    assert answers == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert server.connections == 1  # one kept-alive connection; the refused one never opened


async def test_start_writes_on_an_idle_connection_and_finish_reads_the_answer():
    async def echo(body: bytes, writer: asyncio.StreamWriter) -> bool:
        return await _write(writer, reply(body))

    server = RawServer(echo)
    client = HTTPClient()
    async with server as url:
        assert client.start(url, b"{}", {}) is None  # no idle connection yet: nothing sent
        assert (await client.post(url, b'{"i": 0}', {}, 5)).json() == {"i": 0}
        started = client.start(url, b'{"i": 1}', {"X-Test": "yes"})
        assert started is not None
        await asyncio.sleep(0.05)
        assert len(server.requests) == 2  # on the wire before anyone awaited it
        assert b"X-Test: yes" in server.requests[1]
        assert (await client.finish(started, 5)).json() == {"i": 1}
        await client.aclose()
    assert server.connections == 1


async def test_a_started_request_on_a_dropped_connection_is_sent_again():
    async def once_per_connection(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(reply(body))  # says keep-alive, then hangs up anyway
        await writer.drain()
        return False

    server = RawServer(once_per_connection)
    client = HTTPClient()
    async with server as url:
        await client.post(url, b'{"i": 0}', {}, 5)
        started = client.start(url, b'{"i": 1}', {})  # before the close has arrived
        if started is None:  # the close came first: the ordinary path, also once
            reply_1 = await client.post(url, b'{"i": 1}', {}, 5)
        else:
            reply_1 = await client.finish(started, 5)
        await client.aclose()
    assert reply_1.json() == {"i": 1}
    assert len(server.requests) == 2 and server.connections == 2

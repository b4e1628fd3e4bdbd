"""A lean HTTP/1.1 client for JSON APIs: pooled keep-alive connections on asyncio streams.

Model calls are small JSON posts, thousands per second at high concurrency. General HTTP
clients spend milliseconds of CPU per request on that (httpx measured 4.6-6 ms against
0.13 ms for this client, side by side, in `bench/client_overhead.py`), which caps a run's
throughput long before the endpoint's. This client does only what those calls need:
POST a body, read a `Content-Length`, chunked or read-to-close response, keep the
connection for the next request. TLS trusts certifi's roots, or `SSL_CERT_FILE` when set.
Behind an HTTP(S) proxy it hands requests to httpx, which speaks proxies.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import urllib.request
import zlib
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from agents.errors import TransportError

# what a kept-alive connection the server closed in the meantime fails with
_STALE = (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError)
_NO_BODY = {204, 304}


@dataclass(frozen=True)
class Response:
    """A finished response: status, headers (lower-case names) and the whole body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class ConnectionFailed(TransportError):
    """The server could not be reached, or dropped the connection mid-response."""


class RequestTimeout(TransportError, TimeoutError):
    """No complete response within the timeout."""


def _ssl_context() -> ssl.SSLContext:
    """Trust `SSL_CERT_FILE` when set (a company CA, a local server), else certifi's roots."""
    if cafile := os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=cafile)
    try:
        import certifi  # what httpx and the OpenAI SDK trust; present with langchain-openai
    except ImportError:  # pragma: no cover - certifi comes with httpx
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def _proxied(scheme: str, host: str) -> bool:
    """True when the environment routes `host` through a proxy (never for loopback servers)."""
    if host in _LOOPBACK:
        return False
    proxies = urllib.request.getproxies()
    if not (proxies.get(scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(host)


_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@dataclass(frozen=True)
class Started:
    """A request `HTTPClient.start` has written; `HTTPClient.finish` reads its response."""

    url: str
    key: tuple[str, str, int]
    request: bytes
    conn: _Conn

    def abort(self) -> None:
        """Drop the connection (its response will never be read)."""
        _close(self.conn)


class HTTPClient:
    """POSTs JSON over pooled HTTP/1.1 connections; one client per model, closed with `aclose`."""

    def __init__(self, *, max_idle: int = 256, user_agent: str = "rolegraph") -> None:
        self.max_idle = max_idle
        self.user_agent = user_agent
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._ssl: ssl.SSLContext | None = None
        self._httpx: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._proxy_route: dict[tuple[str, str], bool] = {}

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> Response:
        """Send one POST and return the response; TransportError when there is none."""
        return await self.request("POST", url, body, headers, timeout)

    async def get(self, url: str, headers: dict[str, str], timeout: float) -> Response:
        """Send one GET (no body); see `post`."""
        return await self.request("GET", url, b"", headers, timeout)

    async def request(
        self, method: str, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> Response:
        """Send one request and return the response; TransportError when there is none."""
        prepared = self._prepare(method, url, body, headers)
        if prepared is None:
            return await self._via_httpx(method, url, body, headers, timeout)
        return await self._timed(url, timeout, self._exchange(*prepared))

    def start(self, url: str, body: bytes, headers: dict[str, str]) -> Started | None:
        """Write a POST now, without waiting, on an idle kept-alive connection; None if none.

        For a caller handed a request slot by another task (`limits.EndpointLimiter`): its
        request is on the wire in the same loop step the slot freed, not one step later when
        its own task runs. `finish` reads the response.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        if self._loop is not loop:
            return None
        prepared = self._prepare("POST", url, body, headers)
        if prepared is None:
            return None
        key, request = prepared
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if not conn[0].at_eof() and not conn[1].is_closing():
                conn[1].write(request)
                return Started(url, key, request, conn)
            _close(conn)
        return None

    async def finish(self, started: Started, timeout: float) -> Response:
        """The response to a request `start` wrote; TransportError when there is none."""
        exchange = self._exchange(started.key, started.request, started.conn)
        return await self._timed(started.url, timeout, exchange)

    def _prepare(
        self, method: str, url: str, body: bytes, headers: dict[str, str]
    ) -> tuple[tuple[str, str, int], bytes] | None:
        """The connection key and the request's bytes; None when a proxy must carry it."""
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        if scheme not in ("http", "https") or not host:
            raise ValueError(f"not an http(s) URL: {url!r}")
        if self._proxied(scheme, host):
            return None
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = host if parts.port is None else f"{host}:{parts.port}"
        head = [
            f"{method} {target} HTTP/1.1",
            f"Host: {host_header}",
            f"User-Agent: {self.user_agent}",
            "Accept: application/json",
        ]
        if body or method != "GET":
            head.append(f"Content-Length: {len(body)}")
        head += [f"{k}: {v}" for k, v in headers.items()]
        return (scheme, host, port), ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body

    def _proxied(self, scheme: str, host: str) -> bool:
        """`_proxied`, looked up once per scheme and host (it reads the whole environment)."""
        key = (scheme, host)
        if key not in self._proxy_route:
            self._proxy_route[key] = _proxied(scheme, host)
        return self._proxy_route[key]

    @staticmethod
    async def _timed(url: str, timeout: float, exchange: Awaitable[Response]) -> Response:
        try:
            async with asyncio.timeout(timeout):
                return await exchange
        except TimeoutError:
            raise RequestTimeout(f"no response from {url} within {timeout:g} s") from None

    async def _exchange(
        self, key: tuple[str, str, int], request: bytes, written: _Conn | None = None
    ) -> Response:
        """Send `request` and read its response (`written`: it is on that connection already)."""
        if written is not None:
            conn, reused = written, True
        else:
            conn, reused = await self._connection(key)
        try:
            while True:
                try:
                    if written is None:
                        conn[1].write(request)
                    written = None  # a resend (below) writes again
                    await conn[1].drain()
                    response, keep = await _read_response(conn[0])
                    break
                except _STALE:
                    if not reused:
                        raise
                    # A kept-alive connection the server had already closed: nothing was
                    # processed, so send once more on a fresh one.
                    _close(conn)
                    conn, reused = await self._connection(key, fresh=True)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            _close(conn)
            raise ConnectionFailed(
                f"connection to {key[1]}:{key[2]} failed: {type(exc).__name__}: {exc}"
            ) from exc
        except BaseException:  # timeout or cancellation mid-response: the connection is unusable
            _close(conn)
            raise
        if keep and len(self._idle.setdefault(key, [])) < self.max_idle:
            self._idle[key].append(conn)
        else:
            _close(conn)
        return response

    async def _connection(
        self, key: tuple[str, str, int], fresh: bool = False
    ) -> tuple[_Conn, bool]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # connections belong to one event loop
            self._idle.clear()
            self._loop = loop
        idle = self._idle.get(key)
        while idle and not fresh:
            conn = idle.pop()
            if not conn[0].at_eof() and not conn[1].is_closing():
                return conn, True
            _close(conn)
        scheme, host, port = key
        if scheme == "https" and self._ssl is None:
            self._ssl = _ssl_context()
        try:
            reader, writer = await asyncio.open_connection(
                host,
                port,
                ssl=self._ssl if scheme == "https" else None,
                limit=2**20,
            )
        except OSError as exc:
            raise ConnectionFailed(f"cannot connect to {host}:{port}: {exc}") from exc
        return (reader, writer), False

    async def _via_httpx(
        self, method: str, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> Response:
        import httpx

        if self._httpx is None:
            self._httpx = httpx.AsyncClient(timeout=timeout, trust_env=True)
        try:
            reply = await self._httpx.request(
                method, url, content=body or None, headers=headers, timeout=timeout
            )
        except httpx.TimeoutException as exc:
            raise RequestTimeout(f"no response from {url} within {timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"request to {url} failed: {exc}") from exc
        return Response(reply.status_code, dict(reply.headers), reply.content)

    async def aclose(self) -> None:
        """Close every pooled connection."""
        for conns in self._idle.values():
            for conn in conns:
                _close(conn)
        self._idle.clear()
        if self._httpx is not None:
            await self._httpx.aclose()
            self._httpx = None


def _close(conn: _Conn) -> None:
    if not conn[1].transport.is_closing():
        conn[1].transport.abort()


async def _read_response(reader: asyncio.StreamReader) -> tuple[Response, bool]:
    """Read one response; also say whether the connection can carry another request."""
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        if not version.startswith("HTTP/"):
            raise ValueError(f"not an HTTP response: {lines[0][:80]!r}")
        status = int(rest[:3])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if not 100 <= status < 200:  # skip interim responses (100 Continue)
            break
    connection = headers.get("connection", "").lower()
    keep = "close" not in connection and (version != "HTTP/1.0" or "keep-alive" in connection)
    if status in _NO_BODY:
        body = b""
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:
        body, keep = await reader.read(), False  # delimited by the server closing
    encoding = headers.get("content-encoding", "").lower()
    if encoding in ("gzip", "deflate"):
        body = zlib.decompress(body, zlib.MAX_WBITS | 32)
    return Response(status, headers, body), keep


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)

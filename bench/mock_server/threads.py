"""The mock server for synchronous callers: served from its own event loop on a daemon thread."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Iterator

from bench.mock_server.server import MockConfig, MockServer


def _threaded(config: MockConfig | None, host: str, port: int) -> tuple[MockServer, Callable]:
    server, loop = MockServer(config, host=host, port=port), asyncio.new_event_loop()
    ready: concurrent.futures.Future[str] = concurrent.futures.Future()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            ready.set_result(loop.run_until_complete(server.start()))
            loop.run_forever()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="mock-server", daemon=True)
    thread.start()
    ready.result(timeout=10)
    stopped = threading.Event()

    def stop() -> None:
        if not stopped.is_set():
            stopped.set()
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)

    return server, stop


def run_in_thread(
    config: MockConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> tuple[str, Callable[[], None]]:
    """Start a server on its own event-loop thread for sync code; returns (base_url, stop)."""
    server, stop = _threaded(config, host, port)
    return server.base_url, stop


@contextlib.contextmanager
def serve_in_thread(
    config: MockConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[MockServer]:
    """Like run_in_thread, as a context manager yielding the server (base_url, stats)."""
    server, stop = _threaded(config, host, port)
    try:
        yield server
    finally:
        stop()

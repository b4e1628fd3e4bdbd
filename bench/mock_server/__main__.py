"""`python -m bench.mock_server`: serve a mock server until Ctrl-C or SIGTERM, flags from MockConfig."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import signal
import sys

import bench.mock_server
from bench.mock_server.server import MockConfig, MockServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.mock_server", description=bench.mock_server.__doc__
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0 picks a free one)")
    parser.add_argument("--stats-json", help="on exit, write counts and answers per second here")
    for f in dataclasses.fields(MockConfig):
        flag, help_text = "--" + f.name.replace("_", "-"), f.metadata.get("help", "")
        help_text += " (default: %(default)s)"
        if isinstance(f.default, bool):
            action = argparse.BooleanOptionalAction
            parser.add_argument(flag, action=action, default=f.default, help=help_text)
        elif f.name != "responder":
            kind = int if f.name == "seed" else type(f.default)
            parser.add_argument(flag, type=kind, default=f.default, help=help_text)
    return parser


async def _serve(config: MockConfig, host: str, port: int, stats_json: str | None = None) -> None:
    done = asyncio.Event()
    with contextlib.suppress(NotImplementedError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    server = MockServer(config, host=host, port=port)
    async with server as url:
        print(url, flush=True)
        try:
            await done.wait()
        finally:
            counts = dict(server.stats.status_counts)
            print(f"served {server.stats.requests_total} requests {counts}", file=sys.stderr)
            if stats_json:
                with open(stats_json, "w", encoding="utf-8") as handle:
                    json.dump(server.stats.summary(), handle)


def main(argv: list[str] | None = None) -> None:
    """Serve a mock server from the command line until Ctrl-C or SIGTERM."""
    args = _parser().parse_args(argv)
    names = [f.name for f in dataclasses.fields(MockConfig) if f.name != "responder"]
    config = MockConfig(**{name: getattr(args, name) for name in names})
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(config, args.host, args.port, args.stats_json))


if __name__ == "__main__":
    main()

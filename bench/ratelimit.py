"""A run against a rate-limited server: how close to the limit, how many 429s, nothing lost.

    python -m bench.ratelimit --limit rps --samples 300            # 100 requests/s, burst 10
    python -m bench.ratelimit --limit concurrent --samples 300     # 16 calls at once
    python -m bench.ratelimit --limit rps --no-ratelimit-headers   # no x-ratelimit-* to pace on
    python -m bench.ratelimit --limit concurrent --latency-ms 400 --samples 200  # a slower model

The mock server (its own process, 100 ms per call) enforces the limit and answers over-limit
calls with 429 and Retry-After; rolegraph runs `support_outage` with 128 samples in flight.
**Share of the limit** is what the server served per second in steady state (the middle
60% of the run's seconds) over what the limit allows: R for `--rps R`, K / latency for
`--max-concurrent K`. It also prints what explains a shortfall: the requests in flight as the
client counts them, the event loop's lag (how late a 10 ms sleep wakes: what a response
waits before its slot is handed on) and the server's own time per admitted call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.throughput import ROOT, process_cpu
from rolegraph.run.options import RunSummary
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario


def own_cpu() -> float:
    """This process's CPU and its finished children's (worker processes, once reaped); the
    mock server is reaped only after the run is measured."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def start_limited(args: argparse.Namespace, stats: Path) -> tuple[subprocess.Popen, str]:
    cmd = [
        *(sys.executable, "-m", "bench.mock_server", "--port", "0"),
        *("--latency-ms", str(args.latency_ms), "--output-words", "12", "--varied-text"),
        *("--seed", "1", "--stats-json", str(stats)),
    ]
    if args.limit == "rps":
        cmd += ["--rps", str(args.rps), "--burst", str(args.burst)]
    else:
        cmd += ["--max-concurrent", str(args.max_concurrent)]
    if not args.ratelimit_headers:
        cmd.append("--no-ratelimit-headers")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    url = ""
    for line in proc.stdout:
        if "http://" in line:
            url = line[line.index("http://") :].split()[0]
            break
    return proc, url


class Watch:
    """Every 10 ms: requests in flight as the client's limiter counts them, and how late the
    event loop woke (its lag: what a response or a freed slot waits before it is handled)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.held: list[int] = []
        self.lag: list[float] = []

    async def _run(self) -> None:
        from rolegraph.models.limits import limiter_for

        limiter = limiter_for(self.url, "mock", None)
        while True:
            self.held.append(limiter.in_flight)
            before = time.monotonic()
            await asyncio.sleep(0.01)
            self.lag.append(time.monotonic() - before - 0.01)

    async def __aenter__(self) -> Watch:
        self.task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.task.cancel()

    def middle(self, values: list) -> list:
        return values[len(values) // 5 : len(values) - len(values) // 5] or values

    def report(self) -> dict[str, float]:
        held, lag = self.middle(self.held), sorted(self.middle(self.lag))
        out = {
            "client_in_flight": statistics.mean(held) if held else 0.0,
            "loop_lag_ms_mean": 1000 * statistics.mean(lag) if lag else 0.0,
            "loop_lag_ms_p90": 1000 * lag[int(0.9 * len(lag))] if lag else 0.0,
        }
        print(
            f"client-side requests in flight, steady mean {out['client_in_flight']:.1f}; "
            f"event-loop lag mean {out['loop_lag_ms_mean']:.2f} ms, "
            f"p90 {out['loop_lag_ms_p90']:.2f} ms"
        )
        return out


async def watched_run(
    scenario: Scenario, options: RunOptions, url: str
) -> tuple[RunSummary, dict[str, float]]:
    """The scenario run, watched like `direct_calls`."""
    async with Watch(url) as watch:
        summary = await run_scenario(scenario, options)
    return summary, watch.report()


async def direct_calls(url: str, callers: int, calls: int) -> tuple[RunSummary, dict[str, float]]:
    """`calls` chat calls from `callers` concurrent loops, through one OpenAICompatChat."""
    from langchain_core.messages import HumanMessage

    from rolegraph.models.openai_compat import OpenAICompatChat

    model = OpenAICompatChat(model="mock", base_url=url, max_tokens=40)
    left = {"n": calls, "failed": 0}
    message = [HumanMessage(content="Say something about the outage. " * 20)]

    async def caller() -> None:
        while left["n"] > 0:
            left["n"] -= 1
            try:
                await model.ainvoke(message)
            except Exception:  # counted: a failed call is what the benchmark looks for
                left["failed"] += 1

    try:
        async with Watch(url) as watch:
            await asyncio.gather(*(caller() for _ in range(callers)))
    finally:
        await model.aclose()
    seen = watch.report()
    summary = RunSummary(out_dir=Path("."), planned=calls)
    summary.counts.update({"ok": calls - left["failed"], "failed": left["failed"]})
    summary.usage = {"direct": {"calls": calls}}
    return summary, seen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", choices=["rps", "concurrent"], default="rps")
    parser.add_argument("--rps", type=float, default=100)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--max-concurrent", type=int, default=16)
    parser.add_argument("--ratelimit-headers", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument(
        "--direct",
        action="store_true",
        help="no scenario: --concurrency callers of the chat model alone (the limiter without "
        "the graphs' CPU), 10 calls per sample",
    )
    parser.add_argument(
        "--executor",
        choices=["local", "processes"],
        default="local",
        help="processes: the samples run in --workers worker processes (each its own limiter)",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)

    stats_file = Path(tempfile.mkdtemp(prefix="rolegraph-ratelimit-")) / "server.json"
    server, url = start_limited(args, stats_file)
    path = ROOT / "scenarios" / "support_outage.yaml"
    text = path.read_text().replace("default: local", "default: {spec: 'openai:mock', timeout: 5}")
    out = stats_file.parent / "run"
    options = RunOptions(
        out=out,
        samples=args.samples,
        concurrency=args.concurrency,
        base_url=url,
        quiet=True,
        max_failures=0,
        executor=args.executor,
        workers=args.workers,
    )
    cpu0, wall0, server0 = own_cpu(), time.monotonic(), process_cpu(server.pid)
    try:
        if args.direct:
            summary, seen = asyncio.run(direct_calls(url, args.concurrency, args.samples * 10))
        else:
            summary, seen = asyncio.run(watched_run(Scenario.from_text(text, path), options, url))
        wall, cpu = time.monotonic() - wall0, own_cpu() - cpu0
        server_cpu = process_cpu(server.pid) - server0
    finally:
        server.terminate()
        server.wait()
    served = json.loads(stats_file.read_text())
    counts = {int(k): v for k, v in served["status_counts"].items()}
    chat_answers = sum(v for k, v in counts.items())
    ok = served["per_second"].get("200", [])
    middle = ok[len(ok) // 5 : len(ok) - len(ok) // 5] or ok
    steady = statistics.mean(middle) if middle else 0.0
    allowed = args.rps if args.limit == "rps" else args.max_concurrent / (args.latency_ms / 1000)
    calls = sum(int(u.get("calls", 0)) for u in summary.usage.values())
    result = {
        "limit": f"--rps {args.rps:g} --burst {args.burst}"
        if args.limit == "rps"
        else f"--max-concurrent {args.max_concurrent}",
        "ratelimit_headers": args.ratelimit_headers,
        "direct": args.direct,
        "counts": dict(summary.counts),
        "server_statuses": counts,
        "share_429": counts.get(429, 0) / max(1, chat_answers),
        "steady_ok_per_s": steady,
        "allowed_per_s": allowed,
        "share_of_limit": steady / allowed,
        # calls the server was serving at once, on average over the run (admission to reply)
        "server_mean_in_service": served["chat_seconds"] / max(1e-9, wall),
        # what one admitted call took the server (its latency plus its own overhead)
        "server_ms_per_call": 1000 * served["chat_seconds"] / max(1, counts.get(200, 0)),
        **seen,
        "wall_s": wall,
        "calls": calls,
        "cpu_ms_per_call": 1000 * cpu / max(1, calls),
        "server_cpu_ms_per_answer": 1000 * server_cpu / max(1, chat_answers),
    }
    print(
        f"{result['limit']} (x-ratelimit headers {'on' if args.ratelimit_headers else 'off'}"
        f"{', chat model alone' if args.direct else ''}), "
        f"concurrency {args.concurrency}, {args.samples} samples: "
        f"samples {result['counts']}; server answers {counts}; "
        f"429 share {result['share_429']:.3f}; steady {steady:.1f} ok/s of {allowed:g} allowed "
        f"= {result['share_of_limit']:.3f}; server serving {result['server_mean_in_service']:.1f} "
        f"calls at once on average; wall {wall:.1f} s; "
        f"cpu {result['cpu_ms_per_call']:.2f} ms per call; "
        f"server {result['server_ms_per_call']:.1f} ms per admitted call"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

"""Throughput and overhead of a run against the mock OpenAI-compatible server.

    python -m bench.throughput --latency-ms 100 --concurrency 64 --samples 500
    python -m bench.throughput --model scripted --samples 10000 --concurrency 64   # memory

The server runs in its own process, so the CPU measured here is rolegraph's alone (with
`--executor processes` or `ray`, every process's on the machine except the server's).
efficiency = achieved LLM calls/s ÷ (concurrency ÷ latency): 1.0 means every sample slot
was waiting on the model all the time, i.e. rolegraph itself added nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent


_TICK = os.sysconf("SC_CLK_TCK")


def machine_cpu() -> float:
    """CPU seconds the whole machine has spent busy (all cores, all processes) since boot."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / _TICK


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process `pid` has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class RssSampler:
    """RSS every 0.25 s, to show whether memory grows with the samples done."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.samples: list[tuple[float, float, int]] = []
        self._offsets: dict[str, int] = {}
        self._lines = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _done(self) -> int:
        """Lines in the output files so far, reading only what was appended since last time."""
        for name in ("accepted", "rejected", "failed"):
            file = self.out_dir / f"{name}.jsonl"
            if file.exists():
                with file.open("rb") as handle:
                    handle.seek(self._offsets.get(name, 0))
                    chunk = handle.read()
                self._offsets[name] = self._offsets.get(name, 0) + len(chunk)
                self._lines += chunk.count(b"\n")
        return self._lines

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.wait(0.25):
            self.samples.append((time.monotonic() - start, _rss_mb(), self._done()))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def start_server(args: argparse.Namespace) -> tuple[subprocess.Popen, str]:
    cmd = [
        sys.executable,
        "-m",
        "bench.mock_server",
        "--port",
        "0",
        "--latency-ms",
        str(args.latency_ms),
        "--output-words",
        "12",
        "--varied-text" if getattr(args, "varied_text", True) else "--no-varied-text",
        "--rate-5xx",
        str(args.rate_5xx),
        "--rate-429",
        str(args.rate_429),
        "--rate-hang",
        str(args.rate_hang),
        "--hang-seconds",
        "30",
        "--rate-malformed",
        str(args.rate_malformed),
        "--seed",
        "1",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    url = ""
    for line in proc.stdout:
        if "http://" in line:
            url = line[line.index("http://") :].split()[0]
            break
    return proc, url


def _steady_efficiency(
    trace: list[tuple[float, float, int]], planned: int, calls_per_sample: float, ideal: float
) -> float:
    """Efficiency while the run is in full flow: from 10% to 90% of the samples done."""
    low = next(((t, d) for t, _, d in trace if d >= planned * 0.1), None)
    high = next(((t, d) for t, _, d in trace if d >= planned * 0.9), None)
    if low is None or high is None or high[0] <= low[0]:
        return float("nan")
    return (high[1] - low[1]) / (high[0] - low[0]) * calls_per_sample / ideal


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "support_outage.yaml"))
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument(
        "--model", default="openai:mock", help="'scripted' runs with no server (memory runs)"
    )
    parser.add_argument("--timeout", type=float, default=5.0, help="per-call timeout (cuts hangs)")
    for fault in ("5xx", "429", "hang", "malformed"):
        parser.add_argument(f"--rate-{fault}", type=float, default=0.0)
    parser.add_argument("--checkpoint", choices=["step", "sample"], default="step")
    parser.add_argument(
        "--executor",
        choices=["local", "processes", "ray"],
        default="local",
        help="'processes' and 'ray' run samples in worker processes; CPU is then counted machine-wide",
    )
    parser.add_argument(
        "--repeating-text",
        dest="varied_text",
        action="store_false",
        help="the server's old answers (a 15-word loop): turns repeat, so every sample is "
        "resampled and revised (more calls per graph step, which flatters CPU per call)",
    )
    parser.add_argument(
        "--workers", type=int, help="with --executor processes (default: one per core)"
    )
    parser.add_argument("--json", help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)

    server, url = (None, None)
    text = Path(args.scenario).read_text()
    if args.model != "scripted":
        server, url = start_server(args)
        text = text.replace(
            "default: local", f"default: {{spec: '{args.model}', timeout: {args.timeout}}}"
        )
    scenario = Scenario.from_text(text, args.scenario)
    out = Path(tempfile.mkdtemp(prefix="rolegraph-bench-")) / "run"
    options = RunOptions(
        out=out,
        samples=args.samples,
        concurrency=args.concurrency,
        quiet=True,
        model="scripted" if args.model == "scripted" else None,
        base_url=url,
        max_failures=0,
        critic_check=False,  # 4 canary calls before the run would blur start-up efficiency
        checkpoint=args.checkpoint,
        executor=args.executor,
        workers=args.workers,
    )
    server_cpu0 = process_cpu(server.pid) if server is not None else 0.0
    cpu0, machine0 = time.process_time(), machine_cpu()
    wall0 = time.monotonic()
    try:
        with RssSampler(out) as rss:
            summary = asyncio.run(run_scenario(scenario, options))
        wall = time.monotonic() - wall0
        own_cpu = time.process_time() - cpu0
        server_cpu = process_cpu(server.pid) - server_cpu0 if server is not None else 0.0
        machine = machine_cpu() - machine0
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    # With workers the work happens in other processes: count the machine's busy CPU minus the
    # mock server's (this also counts Ray's own daemons, and any other load: an upper bound).
    cpu = own_cpu if args.executor == "local" else machine - server_cpu
    calls = sum(int(u.get("calls", 0)) for u in summary.usage.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ideal = (
        args.concurrency / (args.latency_ms / 1000) if args.model != "scripted" else float("nan")
    )
    efficiency = (calls / wall) / ideal if args.model != "scripted" else float("nan")
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    quarter = [s for s in rss.samples if s[2] >= args.samples // 4]
    rss_after_quarter = (
        (min(s[1] for s in quarter), max(s[1] for s in quarter)) if quarter else (0, 0)
    )
    steady = _steady_efficiency(rss.samples, args.samples, calls / max(1, summary.done), ideal)
    print(f"samples: {counts}")
    print(
        f"wall {wall:.2f} s, samples/s {summary.done / wall:.1f}, LLM calls {calls}, calls/s {calls / wall:.1f}"
    )
    if args.model != "scripted":
        print(f"ideal calls/s (concurrency/latency) {ideal:.1f}")
        print(
            f"efficiency over the whole run {efficiency:.2f}; between 10% and 90% of samples "
            f"done (no start-up, no drain) {steady:.2f}"
        )
    if args.executor != "local":
        print(
            f"driver process cpu {own_cpu:.2f} s, {1000 * own_cpu / max(1, calls):.2f} ms per call"
        )
    print(
        f"cpu {cpu:.2f} s ({'this process' if args.executor == 'local' else 'machine minus server'}), "
        f"cpu ms per call {1000 * cpu / max(1, calls):.2f}"
    )
    if server is not None:
        print(
            f"mock server cpu {server_cpu:.2f} s, {1000 * server_cpu / max(1, calls):.2f} ms per call; "
            f"machine busy {machine:.2f} s of {wall * (os.cpu_count() or 1):.2f} s"
        )
    print(
        f"rss after the first quarter of samples: {rss_after_quarter[0]:.0f}-{rss_after_quarter[1]:.0f} MB"
    )
    print(
        f"efficiency={efficiency:.2f} cpu_ms_per_call={1000 * cpu / max(1, calls):.1f} peak_rss_mb={peak:.0f}"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "args": vars(args),
                    "counts": counts,
                    "wall_s": wall,
                    "calls": calls,
                    "efficiency": efficiency,
                    "steady_efficiency": steady,
                    "cpu_ms_per_call": 1000 * cpu / max(1, calls),
                    "server_cpu_ms_per_call": 1000 * server_cpu / max(1, calls),
                    "peak_rss_mb": peak,
                    "rss_trace": [(round(t, 2), round(r, 1), d) for t, r, d in rss.samples],
                },
                indent=1,
            )
        )
    os.environ.pop("_", None)


if __name__ == "__main__":
    main()

"""A scripted run over a seed of a million rows: start-up time, peak memory, samples per second.

    python -m bench.seed_scale                      # 1,000,000 rows, 2,000 samples
    python -m bench.seed_scale --rows 100000 --samples 500

For each seed (a 1M-row Parquet file written as pyarrow does by default, in one row group;
the same rows as JSONL; a 1,000-row JSONL; and no seed at all, one record's values written into
the scenario, the baseline of what a seed costs) it writes a scenario over it,
then times `rolegraph validate` and a `rolegraph run --model scripted` in a subprocess
with every row planned (the default `run.samples` = rows), stopped with SIGINT once
`--samples` samples are recorded. It reports, measured side by side in one invocation:
- validate: seconds of `rolegraph validate` (opening the seed, checking every template);
- first sample: seconds from the run's start to its first recorded sample (model building,
  the plan, and for Parquet the one pass that copies it into a memory-mapped Arrow file);
- samples/s and CPU ms per sample after the first;
- peak RSS (VmHWM) of the run's process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_TICK = os.sysconf("SC_CLK_TCK")

SCENARIO = """
name: seed-scale
seed: {{path: {path}, sampling: shuffle}}
task: "{{{{ customer }}}} writes about ticket {{{{ ticket_id }}}}: {{{{ problem }}}}"
facts:
  - "Ticket {{{{ ticket_id }}}} was opened on {{{{ opened }}}} by {{{{ customer }}}}."
  - "{{{{ customer }}}} is on the {{{{ plan }}}} plan."
  - "The amount at stake is {{{{ amount }}}}."
  - "Policy: {{{{ policy }}}}"
speakers:
  - name: customer
    persona: {{name: "{{{{ customer }}}}", role: customer}}
  - name: agent
    persona: {{name: Sam, role: support agent}}
conditions:
  plan: {{column: plan}}
  mood: [calm, frustrated]
dialogue: {{min_turns: 4, max_turns: 4}}
critic: {{max_revisions: 0}}
run: {{seed: 1, concurrency: 8}}
models: {{default: scripted}}
"""

# the same scenario with one record's values written in: no seed, the cost baseline
UNSEEDED = """
name: no-seed
task: "Ana Ruiz writes about ticket LF-100000: was charged twice this month."
facts:
  - "Ticket LF-100000 was opened on 2026-03-04 by Ana Ruiz."
  - "Ana Ruiz is on the Gigabit plan."
  - "The amount at stake is $85.00."
  - "Policy: A duplicate charge is refunded within 5 business days."
speakers:
  - name: customer
    persona: {name: Ana Ruiz, role: customer}
  - name: agent
    persona: {name: Sam, role: support agent}
conditions:
  plan: [Gigabit]
  mood: [calm, frustrated]
dialogue: {min_turns: 4, max_turns: 4}
critic: {max_revisions: 0}
run: {samples: 100000, seed: 1, concurrency: 8}
models: {default: scripted}
"""

FIRST = ["Ana", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jun", "Kim", "Lea"]
LAST = ["Ruiz", "Cole", "Park", "Wu", "Moss", "Hale", "Ito", "Berg", "Nagy", "Sato", "Lund"]
PLANS = ["Basic 100", "Fiber 500", "Gigabit", "Business 1G"]
PROBLEMS = [
    "was charged twice this month.",
    "sees a late fee after autopay failed.",
    "has a router that will not power on.",
    "measures far lower speeds than the plan promises.",
    "is moving house and wants the service moved.",
]
POLICIES = [
    "A duplicate charge is refunded within 5 business days.",
    "One late fee per 12 months is waived when autopay failed.",
    "A router under warranty is replaced free within 2 business days.",
    "A technician visit for slow speeds is free.",
    "Moving the service is free with 14 days' notice.",
]


def rows(n: int, seed: int = 7) -> dict[str, list]:
    rng = random.Random(seed)
    kinds = [rng.randrange(5) for _ in range(n)]
    return {
        "ticket_id": [f"LF-{100000 + i}" for i in range(n)],
        "customer": [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(n)],
        "plan": [rng.choice(PLANS) for _ in range(n)],
        "opened": [f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(n)],
        "amount": [f"${rng.randint(5, 300)}.{rng.randint(0, 99):02d}" for _ in range(n)],
        "problem": [PROBLEMS[k] for k in kinds],
        "policy": [POLICIES[k] for k in kinds],
    }


def write_seeds(folder: Path, n: int) -> dict[str, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = rows(n)
    table = pa.table(data)
    pq.write_table(table, folder / "big.parquet")  # pyarrow's default: one row group up to 1M rows
    with (folder / "big.jsonl").open("w") as handle:
        for row in table.to_pylist():
            handle.write(json.dumps(row) + "\n")
    small = table.slice(0, 1000).to_pylist()
    (folder / "small.jsonl").write_text("".join(json.dumps(r) + "\n" for r in small))
    return {
        f"{n:,}-row Parquet": folder / "big.parquet",
        f"{n:,}-row JSONL": folder / "big.jsonl",
        "1,000-row JSONL": folder / "small.jsonl",
    }


def status(pid: int, key: str) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def count_lines(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except FileNotFoundError:
        return 0


def measure(scenario: Path, out: Path, samples: int) -> dict[str, float]:
    cmd = [sys.executable, "-m", "rolegraph"]
    started = time.perf_counter()
    subprocess.run([*cmd, "validate", str(scenario)], check=True, capture_output=True, cwd=ROOT)
    validate = time.perf_counter() - started
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "run", str(scenario), "--out", str(out), "-q"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    accepted = out / "accepted.jsonl"
    first = first_cpu = None
    peak = 0.0
    while proc.poll() is None:
        try:
            done, now, used = count_lines(accepted), time.perf_counter() - started, cpu(proc.pid)
            peak = max(peak, status(proc.pid, "VmHWM"))
        except FileNotFoundError:  # the run ended (a small seed's every row done)
            break
        if first is None and done:
            first, first_cpu, first_done = now, used, done
        end, end_cpu, end_done = now, used, done
        if done >= samples:
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(0.05)
    proc.wait(timeout=120)
    done = count_lines(accepted)
    assert first is not None and first_cpu is not None, "no sample was recorded"
    n = end_done - first_done
    return {
        "validate_s": validate,
        "first_sample_s": first,
        "samples_per_s": n / (end - first),
        "cpu_ms_per_sample": 1000 * (end_cpu - first_cpu) / n,
        "peak_rss_mb": peak,
        "samples": done,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rolegraph-seed-bench-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        seeds = write_seeds(folder, args.rows)
        print(
            f"wrote the seeds in {time.perf_counter() - t:.1f} s: "
            + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.0f} MB" for p in seeds.values())
        )
        print("| seed | validate s | first sample s | samples/s | CPU ms/sample | peak RSS MB |")
        print("|---|---|---|---|---|---|")
        (folder / "none").write_text("")
        for label, path in [*seeds.items(), ("no seed", folder / "none")]:
            scenario = folder / f"{path.name}.yaml"
            text = UNSEEDED if label == "no seed" else SCENARIO.format(path=path.name)
            scenario.write_text(text)
            r = measure(scenario, folder / f"run-{path.name}", args.samples)
            print(
                f"| {label} | {r['validate_s']:.2f} | {r['first_sample_s']:.2f} | "
                f"{r['samples_per_s']:.0f} | {r['cpu_ms_per_sample']:.1f} | {r['peak_rss_mb']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""What the run-safety work costs, side by side in one process: view, counters, lock, store.

    python -m bench.run_safety [--samples 5000] [--frames 400]

- the live view: CPU per rendered frame, the old bar (rich defaults: 10 frames/s) against
  the new view (4 frames/s), at 80 and 140 columns, and what that is per second of a run;
- the activity counters: CPU per role call of the bumps `graphs.builder` adds;
- the manifest rewrite (at most once a second): CPU per write with N samples in the store;
- opening a store of N samples (the quick_check that refuses a damaged store up front), and
  reconciling the status files on resume;
- taking and releasing the run directory's lock.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress

from agents.activity import ACTIVITY
from rolegraph.run.lock import lock_run_dir
from rolegraph.run.options import RunSummary
from rolegraph.run.progress import Progress
from rolegraph.run.store import RunStore, reconcile_files


def _cpu(fn: Any, n: int) -> float:
    """CPU seconds per call of fn, over n calls."""
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n


def view_frames(frames: int, width: int) -> tuple[float, float]:
    """(old, new) CPU seconds per rendered frame at `width` columns."""
    summary = RunSummary(out_dir=Path("x"), planned=1000)
    summary.counts.update(accepted=400, rejected=50, failed=12)
    summary.revisions, summary.usage = 210, {"speaker": {"total_tokens": 1_234_567}}

    def console() -> Console:
        return Console(
            file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor"
        )

    old = RichProgress(
        TextColumn("[bold]generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stats]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console(),
        auto_refresh=False,
    )
    stats = (
        "[green]✓400[/] [yellow]✗50[/] [red]!12[/] 89% acc rev/sample 0.45 tokens 1,234,567 3.1/min"
    )
    old.add_task("run", total=1000, completed=462, stats=stats)
    c_old = old.console
    t_old = _cpu(lambda: c_old.print(old.get_renderable()), frames)

    new = Progress(
        1000, stream=io.StringIO(), console=console(), summary=summary, in_flight=lambda: 64
    )
    for i in range(20):
        new.errors[f"TransportError: HTTP 50{i % 4} from http://127.0.0.1:8000/v1"] += 1
    new.done, new.last_finish = 462, time.monotonic()
    with new:
        view = new._bar
        assert view is not None
        view.stop()  # render by hand, not from rich's refresh thread
        c_new = view.console
        t_new = _cpu(lambda: c_new.print(view.get_renderable()), frames)
    return t_old, t_new


def counters(calls: int) -> float:
    state: dict[str, Any] = {"turns": [1, 2, 3]}
    update: dict[str, Any] = {"turns": [1, 2, 3, 4]}

    def bump() -> None:  # what graphs.builder._call adds around a role call
        ACTIVITY.enter("speaker")
        ACTIVITY.leave("speaker")
        written = len(update.get("turns") or ()) - len(state.get("turns") or ())
        if written > 0:
            ACTIVITY.turns += written
        ACTIVITY.calls += 1

    return _cpu(bump, calls)


def store_costs(samples: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        store = RunStore(out)
        store.add_plan(((f"{i:06d}", i, i, {}) for i in range(samples)), planned=str(samples))
        record = {"sample_id": "", "messages": [{"role": "user", "content": "word " * 300}]}
        for i in range(samples):
            sid = f"{i:06d}"
            usage = [("speaker", "m", {"calls": 6, "input_tokens": 900, "total_tokens": 1000}, 0.0)]
            store.finish(
                sid, "accepted" if i % 9 else "failed", {**record, "sample_id": sid}, usage
            )
        reconcile_files(store)

        def manifest() -> None:
            body = {"counts": store.counts(), **store.totals()}
            (out / "manifest.json").write_text(json.dumps(body, indent=2))

        t_manifest = _cpu(manifest, 20)
        store.close()
        start = time.perf_counter()
        RunStore(out).close()
        t_open = time.perf_counter() - start
        store = RunStore(out)
        start = time.perf_counter()
        reconcile_files(store)
        t_reconcile = time.perf_counter() - start
        store.retry_failed()
        start = time.perf_counter()
        reconcile_files(store)  # failed.jsonl rewritten without the retried samples
        t_rewrite = time.perf_counter() - start
        store.close()

        def lock() -> None:
            lock_run_dir(out, "bench").release()

        t_lock = _cpu(lock, 200)
        size = (out / RunStore.FILE).stat().st_size
    return {
        "manifest": t_manifest,
        "open": t_open,
        "reconcile": t_reconcile,
        "rewrite": t_rewrite,
        "lock": t_lock,
        "mb": size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--frames", type=int, default=400)
    args = parser.parse_args()
    print("| what | CPU |")
    print("|---|---|")
    for width in (80, 140):
        old, new = view_frames(args.frames, width)
        print(
            f"| view frame at {width} columns: old bar / new view | {old * 1e3:.2f} ms / "
            f"{new * 1e3:.2f} ms (per second of a run: {old * 10 * 1e3:.1f} ms at 10 fps / "
            f"{new * 4 * 1e3:.1f} ms at 4 fps) |"
        )
    print(f"| activity counters per role call | {counters(200_000) * 1e6:.2f} µs |")
    costs = store_costs(args.samples)
    n = f"{args.samples:,} samples, {costs['mb']:.0f} MB store"
    print(f"| manifest rewrite ({n}) | {costs['manifest'] * 1e3:.1f} ms per write, ≤ 1 per s |")
    print(f"| open the store with quick_check ({n}) | {costs['open'] * 1e3:.0f} ms wall |")
    print(f"| reconcile status files on resume ({n}) | {costs['reconcile'] * 1e3:.0f} ms wall |")
    print(
        f"| same, after --retry-failed (failed.jsonl rewritten) | {costs['rewrite'] * 1e3:.0f} ms wall |"
    )
    print(f"| take and release the run lock | {costs['lock'] * 1e6:.0f} µs |")


if __name__ == "__main__":
    main()

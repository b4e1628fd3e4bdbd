"""The live view in a real terminal: a pty of 80 or 140 columns, the screen read back with pyte.

The run is a real `run_scenario` in a child process whose stderr is the pty, with scripted
models that take a little time per call; the critic waits for a go-file, so the screen can
be read while no sample has finished yet.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pyte
import pytest

from rolegraph.run import progress as progress_module
from rolegraph.run.options import RunSummary
from rolegraph.run.progress import Progress

ROOT = Path(__file__).resolve().parent.parent
ERROR = "upstream said [/INST] [bold]no[/bold] [type=auth]"

CHILD = f"""
import asyncio, sys
from pathlib import Path
from rolegraph.models.scripted import ScriptedChatModel, default_script
from rolegraph.models.specs import CORE_ROLES
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario

out, go = Path(sys.argv[1]), Path(sys.argv[2])

class Slow(ScriptedChatModel):
    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):
        await asyncio.sleep(0.02)
        while self.role == "critic" and not go.exists():  # nothing finishes before the go
            await asyncio.sleep(0.02)
        return self._generate(messages, stop, run_manager, **kwargs)

calls = {{"n": 0}}

def speaker(role, messages):
    calls["n"] += 1
    if go.exists() and calls["n"] % 7 == 0:  # a server's multi-line error, markup and all
        raise RuntimeError({ERROR!r} + '\\n  File "server.py", line 9\\n    raise Oops()')
    return default_script(role, messages)

models = {{r: Slow(role=r, script=speaker if r == "speaker" else None)
          for r in ("default", *CORE_ROLES)}}
scenario = Scenario.from_file(sys.argv[3])
asyncio.run(run_scenario(scenario, RunOptions(
    out=out, samples=24, concurrency=4, max_failures=0, models=models, critic_check=False)))
"""


def _view(lines: list[str]) -> list[str]:
    """The live view's lines: from its bar down (lines printed before the run, such as the
    critic check's, scroll above it)."""
    shown = [ln for ln in lines if ln]
    start = next(i for i, ln in enumerate(shown) if ln.startswith("generating "))
    return shown[start:]


class Terminal:
    """A child process on a pty of a given size, its output fed to a pyte screen."""

    def __init__(self, args: list[str], columns: int, rows: int = 24) -> None:
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Lock()
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env.update(TERM="xterm-256color", PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, close_fds=True
        )
        os.close(slave)
        self.master = master
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # the child closed the pty
                return
            if not data:
                return
            with self.lock:
                self.stream.feed(data)

    def lines(self) -> list[str]:
        with self.lock:
            return [line.rstrip() for line in self.screen.display]

    def wait_for(self, check, timeout: float = 90) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.lines()
            if check(lines):
                return lines
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError("screen never matched:\n" + "\n".join(self.lines()))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self.reader.join(timeout=5)
        os.close(self.master)


def _number(line: str, label: str) -> int:
    words = line.replace(",", "").split()
    return int(words[words.index(label) + 1])


@pytest.mark.parametrize("columns", [80, 140])
def test_the_live_view_in_a_terminal(tmp_path: Path, columns: int):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    go = tmp_path / "go"
    scenario = ROOT / "scenarios" / "support_outage.yaml"
    term = Terminal(
        [sys.executable, str(script), str(tmp_path / "run"), str(go), str(scenario)], columns
    )
    try:
        # before the first sample finishes: activity is visible
        def busy(lines: list[str]) -> bool:
            act = next((ln for ln in lines if ln.startswith("in flight ")), "")
            # all four samples have written turns and wait for their critic
            return act.startswith("in flight 4 (critic 4)") and _number(act, "turns") >= 4

        before = term.wait_for(busy)
        bar, counts, act = _view(before)
        assert bar.startswith("generating ") and "0/24" in bar and "0%" in bar
        assert re.search(r"ETA -:--:-- \d:\d\d:\d\d$", bar)  # no guess yet; elapsed
        assert counts.startswith("accepted 0  rejected 0  failed 0  revisions 0.00/sample")
        assert _number(act, "calls") >= _number(act, "turns")  # each turn took a model call
        assert len(bar) == columns  # the bar fills the width; done/total and ETA stay in it

        go.touch()
        term.wait_for(lambda lines: any("24/24" in ln for ln in lines), timeout=120)
        assert term.proc.wait(timeout=60) == 0
        time.sleep(0.3)  # the last frame
        after = [ln for ln in term.lines() if ln]
    finally:
        term.close()
    bar, counts, act, *errors = _view(after)
    assert "24/24" in bar and "100%" in bar and "ETA 0:00:00" in bar
    failed = _number(counts, "failed")
    assert failed >= 1
    assert _number(counts, "accepted") + _number(counts, "rejected") + failed == 24
    assert errors == [f"failed ×{failed}  RuntimeError: {ERROR}", "full errors in failed.jsonl"]
    screen = "\n".join(after)
    assert "server.py" not in screen and "Oops" not in screen  # nothing spilled
    assert all(len(line) <= columns for line in after)


def test_the_eta_counts_down_between_finishes_and_moves_with_the_rate(monkeypatch):
    now = {"t": 100.0}
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: now["t"])
    summary = RunSummary(out_dir=Path("x"), planned=10)
    progress = Progress(10, quiet=True, stream=sys.stderr, summary=summary)
    assert progress.eta() is None  # nothing finished: no guess
    seen = []
    for finish_at, check_at in ((110, 110), (110, 115), (120, 120), (120, 125), (121, 121)):
        now["t"] = finish_at
        if finish_at != (seen[-1][0] if seen else None):
            summary.counts["accepted"] += 1
            progress.update(summary, "s", "accepted", 4.0)
        now["t"] = check_at
        seen.append((finish_at, progress.eta()))
    etas = [eta for _, eta in seen]
    assert etas == pytest.approx([90.0, 85.0, 80.0, 75.0, 49.0])
    assert len(set(etas)) == len(etas)  # it moves at every look

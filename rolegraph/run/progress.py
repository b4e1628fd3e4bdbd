"""What a run shows while it works: a live view on a terminal, plain lines in logs.

The live view, at 80 columns and wider:

    generating ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╸━━━━━━━━━━━  12/40  30% ETA 0:01:10 0:00:31
    accepted 10  rejected 1  failed 1  revisions 0.40/sample  score 4.12  tokens 35,120
    in flight 4 (speaker 3, critic 1)  turns 57  calls 112  2.1/min
    failed ×1  TransportError: HTTP 500
    full errors in failed.jsonl

The bar line keeps done/total and the ETA at any width (the bar shrinks first). The ETA is
the time left at the rate samples have finished so far, counting down between finishes.
Activity (turns written, model calls, role calls in flight) comes from counters the graph
bumps (agents.activity), so the view moves before the first sample is done. Errors are one
line per kind with a count, cut to the width; the full text is in failed.jsonl. Everything
taken from models, servers or files is shown as plain text, never as rich markup.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress
from rich.text import Text

from agents.activity import ACTIVITY

if TYPE_CHECKING:
    from rich.progress import Task

    from rolegraph.run.options import RunSummary

ERROR_KINDS_SHOWN = 3  # error lines in the live view; the rest are counted on one line


def _tokens(usage: dict[str, Any]) -> int:
    return sum(int(v.get("total_tokens", 0)) for v in usage.values())


def error_kind(error: Any) -> str:
    """What groups errors in the view: the first line, without a server's JSON body or numbers
    that change per call (a request id, a retry count)."""
    first = next((ln.strip() for ln in str(error).splitlines() if ln.strip()), "error")
    first = re.split(r":?\s+(?=\{|\[\s*\{|<)", first, maxsplit=1)[0]  # a JSON or HTML body
    first = re.sub(r"\b(after|in) \d+ (tries|attempts|s)\b", r"\1 N \2", first)
    first = re.sub(r"\b[0-9a-f]{16,}\b", "…", first)  # request ids
    first = re.sub(r"\b\d+(\.\d+)? ?(s|ms|seconds)\b", "N s", first)  # waits, timeouts
    return first[:120]


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    s = max(0, int(seconds + 0.5))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class _EtaColumn(ProgressColumn):
    """'ETA 0:01:10' from the owner's estimate (rich's own stays still between updates)."""

    def __init__(self, owner: Progress) -> None:
        super().__init__()
        self.owner = owner

    def render(self, task: Task) -> Text:
        return Text(f"ETA {_clock(self.owner.eta())}", style="progress.remaining")


class _View(RichProgress):
    """The bar, then the owner's lines (counts, activity, errors) under it."""

    def __init__(self, owner: Progress, *columns: str | ProgressColumn, **kwargs: Any) -> None:
        self.owner = owner  # before rich's __init__, which renders once
        super().__init__(*columns, **kwargs)

    def get_renderables(self) -> Iterable[RenderableType]:
        yield self.make_tasks_table(self.tasks)
        yield from self.owner.lines()


class Progress:
    """Live counts of accepted / rejected / failed samples, activity, errors and the ETA."""

    def __init__(
        self,
        total: int,
        *,
        quiet: bool = False,
        stream: TextIO,
        already: int = 0,
        in_flight: Callable[[], int] | None = None,
        activity: bool = True,
        console: Console | None = None,
        summary: RunSummary | None = None,
    ) -> None:
        self.total = total
        self.already = already  # finished before this session (a resumed run)
        self.quiet = quiet
        self.console = console or Console(file=stream, highlight=False)
        self.live = not quiet and self.console.is_terminal
        self.in_flight = in_flight or (lambda: 0)
        self.activity = activity  # the graph's counters are this process's (local executor)
        self.started = time.monotonic()
        self.last_finish: float | None = None
        self.done = already
        self.summary = summary  # the runner's, updated in place as samples finish
        self.errors: Counter[str] = Counter()
        self._base = ACTIVITY.snapshot()
        self._bar: _View | None = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.live:
            self._bar = _View(
                self,
                TextColumn("[bold]generating"),
                BarColumn(bar_width=None),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                _EtaColumn(self),
                TimeElapsedColumn(),
                console=self.console,
                expand=True,
                refresh_per_second=4,  # enough to see it move; little CPU next to the run
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("run", total=self.total, completed=self.already)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)

    # -- what the view says -------------------------------------------------------------
    def eta(self) -> float | None:
        """Seconds left at this session's finishing rate, counting down since the last finish."""
        finished = self.done - self.already
        if finished <= 0 or self.last_finish is None:
            return None
        rate = finished / max(1e-9, self.last_finish - self.started)
        left = (self.total - self.done) / rate - (time.monotonic() - self.last_finish)
        return max(0.0, left)

    def counts_line(self) -> Text:
        s = self.summary
        c: Counter[str] = s.counts if s is not None else Counter()
        text = Text(no_wrap=True, overflow="ellipsis")
        for label, style in (("accepted", "green"), ("rejected", "yellow"), ("failed", "red")):
            text.append(f"{label} ", style=style)
            text.append(f"{c.get(label, 0)}  ", style=f"bold {style}")
        if c.get("review"):
            text.append(f"review {c['review']}  ", style="cyan")
        done = max(1, s.done if s else 0)
        text.append(f"revisions {(s.revisions if s else 0) / done:.2f}/sample")
        if s is not None and s.mean_score is not None:
            text.append(f"  score {s.mean_score:.2f}")
        if s is not None and s.usage:
            text.append(f"  tokens {_tokens(s.usage):,}")
        if s is not None and s.cost:
            text.append(f"  ${s.cost:.4f}")
        return text

    def activity_line(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis", style="dim")
        text.append(f"in flight {self.in_flight()}")
        if self.activity:
            turns, calls, running = ACTIVITY.snapshot()
            if running:
                busy = sorted(running.items(), key=lambda kv: (-kv[1], kv[0]))
                text.append(" (" + ", ".join(f"{role} {n}" for role, n in busy) + ")")
            text.append(f"  turns {turns - self._base[0]:,}  calls {calls - self._base[1]:,}")
        per_min = (self.done - self.already) / max(1.0, time.monotonic() - self.started) * 60
        text.append(f"  {per_min:.1f}/min")
        return text

    def error_lines(self) -> list[Text]:
        lines = []
        kinds = self.errors.most_common()
        for kind, n in kinds[:ERROR_KINDS_SHOWN]:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"failed ×{n}  ", style="bold red")
            line.append(kind)
            lines.append(line)
        if len(kinds) > ERROR_KINDS_SHOWN:
            rest = sum(n for _, n in kinds[ERROR_KINDS_SHOWN:])
            lines.append(
                Text(
                    f"failed ×{rest}  {len(kinds) - ERROR_KINDS_SHOWN} more kinds of error",
                    style="red",
                    no_wrap=True,
                )
            )
        if kinds:
            lines.append(Text("full errors in failed.jsonl", style="dim", no_wrap=True))
        return lines

    def lines(self) -> list[Text]:
        return [self.counts_line(), self.activity_line(), *self.error_lines()]

    # -- what the runner tells it -------------------------------------------------------
    def update(self, summary: RunSummary, sample_id: str, status: str, detail: Any = None) -> None:
        self.summary = summary
        self.done = summary.done
        self.last_finish = time.monotonic()
        if status == "failed":
            self.errors[error_kind(detail)] += 1
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=summary.done)
            return
        line = Text(f"[{summary.done}/{self.total}] sample {sample_id} {status}")
        if isinstance(detail, int | float):
            line.append(f" score {detail:.2f}")
        elif detail:  # an error: its first line; the whole of it is in failed.jsonl
            first = next((ln for ln in str(detail).splitlines() if ln.strip()), "")
            line.append(f" {first[:200]}" + (" (more in failed.jsonl)" if first != detail else ""))
        c = summary.counts
        line.append(
            f" | accepted {c.get('accepted', 0)} rejected {c.get('rejected', 0)} "
            f"failed {c.get('failed', 0)} revisions {summary.revisions}"
            f" tokens {_tokens(summary.usage):,}"
        )
        self.console.print(line, soft_wrap=True)

"""What a run shows while it works: a rich progress bar on a terminal, plain lines in logs."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress

if TYPE_CHECKING:
    from rolegraph.run.options import RunSummary


def _tokens(usage: dict[str, Any]) -> int:
    return sum(int(v.get("total_tokens", 0)) for v in usage.values())


class Progress:
    """Live counts of accepted / rejected / failed samples, revisions and tokens."""

    def __init__(
        self, total: int, *, quiet: bool = False, stream: TextIO, already: int = 0
    ) -> None:
        self.total = total
        self.already = already  # finished before this session (a resumed run)
        self.quiet = quiet
        self.console = Console(file=stream)
        self.live = not quiet and self.console.is_terminal
        self.started = time.monotonic()
        self._bar: RichProgress | None = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.live:
            self._bar = RichProgress(
                TextColumn("[bold]generating"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=self.console,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(
                "run", total=self.total, completed=self.already, stats=""
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)

    def stats(self, summary: RunSummary) -> str:
        c = summary.counts
        done = max(1, summary.done)
        per_min = (summary.done - self.already) / max(1e-9, time.monotonic() - self.started) * 60
        judged = c.get("accepted", 0) + c.get("rejected", 0)
        rate = f" {c.get('accepted', 0) / judged:.0%} acc" if judged else ""
        score = f" mean score {summary.mean_score:.2f}" if summary.mean_score is not None else ""
        return (
            f"[green]✓{c.get('accepted', 0)}[/] [yellow]✗{c.get('rejected', 0)}[/] [red]!{c.get('failed', 0)}[/]{rate}{score} "
            f"rev/sample {summary.revisions / done:.2f} tokens {_tokens(summary.usage):,}"
            + (f" ${summary.cost:.4f}" if summary.cost else "")
            + f" {per_min:.1f}/min"
        )

    def update(self, summary: RunSummary, sample_id: str, status: str, detail: Any = None) -> None:
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=summary.done, stats=self.stats(summary))
            if status == "failed":
                self._bar.console.print(
                    f"[red]sample {sample_id} failed:[/] {detail}", markup=True, highlight=False
                )
            return
        score = (
            f" score {detail:.2f}"
            if isinstance(detail, int | float)
            else (f" {detail}" if detail else "")
        )
        self.console.print(
            f"[{summary.done}/{self.total}] sample {sample_id} {status}{score} | {self.stats(summary)}",
            markup=True,
            highlight=False,
            soft_wrap=True,
        )

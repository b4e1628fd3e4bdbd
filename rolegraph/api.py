"""The Python API: `run`, `arun`, `load_scenario` and the `RunResult` they return.

```python
import rolegraph

scenario = rolegraph.load_scenario("scenarios/support_outage.yaml")
result = rolegraph.run(scenario, samples=4, model="scripted", out="runs/api-demo")
print(result.accepted, result.run_dir)
for record in result.records(status="accepted"):
    print(record["messages"][-1]["content"])
ds = result.to_dataset()          # a datasets.Dataset (the `export` extra)
```

A run made here is an ordinary run directory: `rolegraph eval`, `report`, `export` and
`review` read it as they read one made by `rolegraph run`. `run` is synchronous and works
inside a running event loop (Jupyter's): there it runs the run's own loop in a helper thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rolegraph.errors import UsageError, missing_extra
from rolegraph.run.options import RunOptions, RunSummary
from rolegraph.scenario.schema import Scenario

if TYPE_CHECKING:
    import datasets
    from langchain_core.language_models import BaseChatModel

_OPTION_NAMES = {f.name for f in fields(RunOptions)}
_ALIASES = {"n": "samples", "out_dir": "out"}


def load_scenario(path_or_text: str | Path) -> Scenario:
    """A scenario from a file path or from YAML text.

    A `Path`, or a string naming an existing file, is read as a file; any other string is
    taken as YAML text (relative paths in it resolve against the working directory).
    Problems raise `ScenarioError`, whose `problems` are `file:line: field: message` lines.
    """
    if isinstance(path_or_text, Path):
        return Scenario.from_file(path_or_text)
    text = str(path_or_text)
    if "\n" not in text and text.strip() and Path(text).is_file():
        return Scenario.from_file(text)
    if "\n" not in text and text.endswith((".yaml", ".yml")):
        raise UsageError(f"{text}: no such scenario file")
    return Scenario.from_text(text, Path.cwd() / "<scenario>")


@dataclass
class RunResult:
    """What a run produced: counts, where it went, and its records to read back."""

    run_dir: Path
    planned: int
    counts: dict[str, int] = field(default_factory=dict)
    revisions: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    stopped: str | None = None  # why the run stopped early, if it did
    usage: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return self.counts.get("accepted", 0)

    @property
    def rejected(self) -> int:
        return self.counts.get("rejected", 0)

    @property
    def failed(self) -> int:
        return self.counts.get("failed", 0)

    def records(self, status: str | None = None) -> Iterator[dict[str, Any]]:
        """The run's sample records (`status`: accepted, rejected or failed; all when None)."""
        from rolegraph.outputs.records import STATUS_FILES
        from rolegraph.outputs.rundir import open_run

        if status is not None and status not in STATUS_FILES:
            raise UsageError(f"unknown status '{status}' (known: {', '.join(STATUS_FILES)})")
        run = open_run(self.run_dir)
        yield from run.records(*(() if status is None else (status,)))

    def to_dataset(self, status: str = "accepted") -> datasets.Dataset:
        """The records of one status as a `datasets.Dataset`, one row per sample, typed as
        `rolegraph export --format parquet` writes them."""
        try:
            import datasets
        except ImportError:
            raise missing_extra("datasets", "export") from None
        from rolegraph.outputs.export import table_row

        rows = list(self.records(status))
        named = any("name" in m for r in rows for m in r.get("messages") or [])
        return datasets.Dataset.from_list([table_row(r, named) for r in rows])

    @classmethod
    def from_summary(cls, summary: RunSummary) -> RunResult:
        return cls(
            run_dir=Path(summary.out_dir),
            planned=summary.planned,
            counts=dict(summary.counts),
            revisions=summary.revisions,
            cost_usd=summary.cost,
            seconds=summary.seconds,
            stopped=summary.stopped,
            usage=dict(summary.usage),
        )


def _options(options: Mapping[str, Any]) -> RunOptions:
    given = {_ALIASES.get(k, k): v for k, v in options.items()}
    unknown = sorted(set(given) - _OPTION_NAMES)
    if unknown:
        raise UsageError(
            f"unknown run option(s): {', '.join(unknown)} (known: {', '.join(sorted(_OPTION_NAMES))})"
        )
    if "out" in given and given["out"] is not None:
        given["out"] = Path(given["out"])
    models = given.get("models")
    if models is not None and not isinstance(models, Mapping):
        given["models"] = {"default": _as_model(models)}  # one model for every role
    elif models is not None:
        given["models"] = {role: _as_model(m) for role, m in models.items()}
    given.setdefault("quiet", True)
    return RunOptions(**given)


def _as_model(model: Any) -> BaseChatModel:
    from langchain_core.language_models import BaseChatModel

    if not isinstance(model, BaseChatModel):
        raise UsageError(
            f"models= takes LangChain chat models (BaseChatModel), not {type(model).__name__}"
        )
    return model


async def arun(scenario: Scenario | str | Path, **options: Any) -> RunResult:
    """Generate a scenario's samples; the awaitable form of `run` (same options)."""
    from rolegraph.run.runner import run_scenario

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    summary = await run_scenario(scenario, _options(options))
    return RunResult.from_summary(summary)


def run(scenario: Scenario | str | Path, **options: Any) -> RunResult:
    """Generate a scenario's samples into a run directory and return what it produced.

    Args:
        scenario: a `Scenario`, a path to a scenario file, or YAML text.
        **options: what `rolegraph run` takes: `samples` (or `n`), `out`, `seed`,
            `concurrency`, `model` (a spec for every role, e.g. "scripted"), `base_url`,
            `resume`, `retry_failed` (run failed samples again; implies `resume`), `force`,
            `max_failures`, `max_cost`, `checkpoint`, `executor`,
            `workers`, `quiet` (default True here), and `models`: a LangChain chat model
            for every role, or a mapping of role (or "default") to model.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(arun(scenario, **options))
    # inside a running loop (Jupyter, an async app): the run gets its own loop in a thread
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = asyncio.run(arun(scenario, **options))
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    thread = threading.Thread(target=target, name="rolegraph-run")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


__all__ = ["RunResult", "arun", "load_scenario", "run"]

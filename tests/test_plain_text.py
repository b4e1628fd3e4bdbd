"""Plain text is plain: model output, errors and user data are never read as rich markup.

`[/INST]` (a chat-template leak) used to end a run with a MarkupError, `[bold]` turned bold
and `[type=auth]` vanished. Each display path gets all three and must show them as written.
The live view gets them too, under a real terminal, in tests/test_live_view.py.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from rolegraph.cli import main
from rolegraph.run.options import RunSummary
from rolegraph.run.preview import preview
from rolegraph.run.progress import Progress, error_kind
from rolegraph.run.review import show
from rolegraph.scenario.schema import Scenario
from tests.conftest import scripted_models
from tests.test_engine import BASE, good_speaker, verdict

TRICKY = "[/INST] [bold]loud[/bold] [type=auth]"


def _console(buffer: io.StringIO, terminal: bool = False) -> Console:
    return Console(file=buffer, width=300, color_system=None, force_terminal=terminal)


def test_progress_lines_in_a_log_show_errors_as_written():
    buffer = io.StringIO()
    progress = Progress(3, stream=buffer, console=_console(buffer))
    summary = RunSummary(out_dir=Path("x"), planned=3)
    summary.counts["failed"] += 1
    with progress:
        progress.update(summary, "000000", "failed", f"RuntimeError: {TRICKY}\nline two")
    out = buffer.getvalue()
    assert f"sample 000000 failed RuntimeError: {TRICKY} (more in failed.jsonl)" in out
    assert "line two" not in out  # one line per sample; the rest is in failed.jsonl


def test_live_view_lines_render_errors_as_written():
    buffer = io.StringIO()
    summary = RunSummary(out_dir=Path("x"), planned=3)
    progress = Progress(3, stream=buffer, console=_console(buffer, terminal=True), summary=summary)
    summary.counts["failed"] += 1
    progress.update(summary, "000000", "failed", f"RuntimeError: {TRICKY}\nsecond line")
    console = _console(out := io.StringIO())
    for line in progress.lines():
        console.print(line)
    text = out.getvalue()
    assert f"failed ×1  RuntimeError: {TRICKY}" in text
    assert "second line" not in text


def test_error_kinds_group_what_varies_per_call():
    a = error_kind('TransportError: HTTP 500 from http://h/v1 after 3 tries: {"error": "x"}\nmore')
    b = error_kind('TransportError: HTTP 500 from http://h/v1 after 7 tries: {"error": "y"}')
    assert a == b == "TransportError: HTTP 500 from http://h/v1 after N tries"
    assert error_kind("") == "error"
    timeout = "TransportError: timed out after 30.5 s calling http://127.0.0.1:8765/v1 (req 9f8e7d6c5b4a39281716)"
    assert (
        error_kind(timeout)
        == "TransportError: timed out after N s calling http://127.0.0.1:8765/v1 (req …)"
    )


def test_review_shows_model_output_as_written():
    payload = {
        "sample_id": TRICKY,
        "personas": {"a": {"name": "[red]Ann"}, "b": {"name": "Bo"}},
        "conditions": {"mood": TRICKY},
        "turns": [{"speaker": "a", "text": TRICKY}, {"speaker": "b", "text": "fine"}],
        "verdict": {
            "overall": 3,
            "decision": "revise",
            "scores": {"faithfulness": 3},
            "rationale": TRICKY,
            "evidence": [TRICKY],
            "checks": [{"turn": 0, "message": TRICKY}],
        },
    }
    buffer = io.StringIO()
    show(payload, _console(buffer))
    out = buffer.getvalue()
    assert out.count(TRICKY) >= 6  # title, subtitle, turn, rationale, evidence, check
    assert "[red]Ann" in out


async def test_preview_shows_model_output_as_written(tmp_path: Path):
    scenario = Scenario.from_text(BASE.replace("samples: 3", "samples: 1"), tmp_path / "s.yaml")

    def speaker(role, messages):
        return good_speaker(role, messages) + " " + TRICKY

    def critic(role, messages):
        return {**verdict(5), "rationale": TRICKY, "evidence": [TRICKY]}

    buffer = io.StringIO()
    await preview(
        scenario,
        console=_console(buffer),
        models=scripted_models(speaker=speaker, critic=critic),
    )
    out = buffer.getvalue()
    assert f"rationale: {TRICKY}" in out and f"evidence: “{TRICKY}”" in out
    assert out.count(TRICKY) >= 4  # the turns too


def test_run_summary_shows_paths_and_stop_reasons_as_written(tmp_path: Path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE.replace("samples: 3", "samples: 2"))
    out = tmp_path / "[bold]run[/bold] [type=auth]"
    code = main(["run", str(scenario), "--model", "scripted", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert str(out) in printed.replace("\n", "")  # the table may wrap it; never eats it
    assert "data written to " + str(out) in printed


def test_errors_are_printed_as_written(tmp_path: Path, capsys):
    assert main(["personas", TRICKY]) == 2  # a usage error quoting what the user typed
    assert f"error: unknown persona library '{TRICKY}'" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"  # a scenario error quoting the file
    bad.write_text(f"name: x\ntask: t\n'{TRICKY}': 1\n")
    assert main(["validate", str(bad)]) == 2
    assert f"unknown key '{TRICKY}'" in capsys.readouterr().err


def test_a_failing_model_with_markup_in_its_error_never_stops_a_run(tmp_path: Path, monkeypatch):
    """The issue's crash: one `[/INST]` in an error ended the run with a MarkupError."""
    import asyncio
    import importlib

    from rolegraph.run.runner import RunOptions, run_scenario

    runner = importlib.import_module("rolegraph.run.runner")  # `rolegraph.run` is the API call

    scenario = Scenario.from_text(BASE, tmp_path / "s.yaml")

    def speaker(role, messages):
        raise RuntimeError(f"upstream: {TRICKY}\n<s>[INST] leaked template")

    buffer = io.StringIO()
    real = runner.Progress

    def visible(*args, **kwargs):  # the live view, on a terminal-like console
        kwargs["console"] = _console(buffer, terminal=True)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "Progress", visible)
    summary = asyncio.run(
        run_scenario(
            scenario, RunOptions(out=tmp_path / "run", models=scripted_models(speaker=speaker))
        )
    )
    assert summary.counts["failed"] == 3
    failed = [json.loads(x) for x in (tmp_path / "run" / "failed.jsonl").read_text().splitlines()]
    assert all(TRICKY in r["error"] and "leaked template" in r["error"] for r in failed)
    assert f"failed ×3  RuntimeError: upstream: {TRICKY}" in buffer.getvalue()

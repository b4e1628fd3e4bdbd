"""`rolegraph preview` streams turns, the verdict with its checks and the reviser's edits; writes nothing."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from rolegraph.run.preview import preview
from rolegraph.scenario.schema import Scenario
from tests.conftest import SCENARIOS, scripted_models
from tests.test_engine import BASE, GOOD_TURNS, good_speaker, transcript_of, verdict


async def test_preview_shows_turns_verdict_checks_and_revision(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scenario = Scenario.from_text(BASE.replace("samples: 3", "samples: 1"), tmp_path / "s.yaml")

    def speaker(role, messages):
        text = good_speaker(role, messages)
        return text.replace("$40", "$45")  # a planted contradiction the checks catch

    def critic(role, messages):
        return verdict(5) if "REVISED" in transcript_of(messages) else verdict(4, "accept")

    buffer = io.StringIO()
    finals = await preview(
        scenario,
        console=Console(file=buffer, width=200, color_system=None),
        models=scripted_models(
            speaker=speaker, critic=critic, reviser=lambda r, m: "REVISED: it costs $40."
        ),
    )
    out = buffer.getvalue()
    assert "Ana Ruiz (patient): " + GOOD_TURNS[0] in out
    assert "Ben Cole (receptionist): The consultation costs $45." in out
    assert "check contradicted_money on turn 3" in out
    assert "turn 3 was: The consultation costs $45." in out
    assert "turn 3 now: Ben Cole (receptionist): REVISED: it costs $40." in out
    assert (
        out.index("critic: revise")
        < out.index("reviser (revision 1)")
        < out.index("critic: accept")
    )
    assert finals[0]["status"] == "accepted"
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_preview_cli(tmp_path: Path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rolegraph",
            "preview",
            str(SCENARIOS / "support_outage.yaml"),
            "-n",
            "2",
            "--model",
            "scripted",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "COLUMNS": "200",
        },
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("→ accepted") == 2 and "sample 000001" in proc.stdout
    assert not (tmp_path / "runs").exists()

"""The embedded model must not swallow the program's own output (llama.cpp redirects fds on load)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SCENARIOS

pytestmark = pytest.mark.embedded


def test_run_output_survives_concurrent_model_loads(tmp_path: Path):
    text = (SCENARIOS / "support_outage.yaml").read_text()
    text = text.replace("max_turns: 6", "max_turns: 4").replace(
        "max_revisions: 1", "max_revisions: 0"
    )
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        text.replace("# yaml-language-server: $schema=./scenario.schema.json\n", "")
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rolegraph",
            "run",
            str(scenario),
            "-n",
            "2",
            "--concurrency",
            "2",
            "--out",
            str(tmp_path / "run"),
            "--no-critic-check",  # models must load while samples run, as without the check
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert "[2/2] sample" in proc.stderr  # progress lines printed while models were loading
    assert "acceptance rate" in proc.stdout and "2 planned" in proc.stdout  # the summary table

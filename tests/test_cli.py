"""The command line behaves like one: --version, help, model specs at validate, --json, env defaults."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rolegraph.cli import build_parser, main
from rolegraph.scenario.modelspec import spec_problem
from tests.test_engine import BASE

ROLEGRAPH = [sys.executable, "-m", "rolegraph"]


def test_version_and_help_list_every_command() -> None:
    done = subprocess.run([*ROLEGRAPH, "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip().startswith("rolegraph 0.")
    shown = subprocess.run([*ROLEGRAPH, "--help"], capture_output=True, text=True, check=True)
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"run", "validate", "graph", "eval", "report", "export", "review", "preview"} <= set(
        commands
    )
    for name in commands:
        assert f"\n    {name}" in shown.stdout, name
    assert "ROLEGRAPH_MODEL" in shown.stdout


@pytest.mark.parametrize(
    ("spec", "hint"),
    [
        ("lcoal", "did you mean 'local'"),
        ("scriptd", "did you mean 'scripted'"),
        ("opnai:gpt-4o-mini", "did you mean 'openai'"),
        ("gpt-4o", "did you mean 'openai:gpt-4o'"),
        ("openai:", "PROVIDER:MODEL"),
    ],
)
def test_bad_model_specs_get_a_hint(spec: str, hint: str) -> None:
    problem = spec_problem(spec)
    assert problem is not None and hint in problem


@pytest.mark.parametrize("spec", ["local", "scripted", "openai:gpt-4o-mini", "anthropic:claude"])
def test_good_model_specs_pass(spec: str) -> None:
    assert spec_problem(spec) is None


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_catches_a_misspelt_model_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, BASE + "models:\n  default: scripted\n  critic: lcoal\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"{path}:")
    line = int(err[0].split(":")[1])
    assert path.read_text().splitlines()[line - 1].strip() == "critic: lcoal"
    assert "models.critic" in err[0] and "did you mean 'local'" in err[0]


def test_validate_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, BASE, "good.yaml")
    bad = write(tmp_path, BASE.replace("max_turns: 4", "max_turn: 4"), "bad.yaml")
    assert main(["validate", "--json", str(good), str(bad)]) == 2
    body = json.loads(capsys.readouterr().out)
    assert body["ok"] is False
    first, second = body["files"]
    assert first["ok"] and first["name"] == "mini" and first["speakers"] == 2
    assert not second["ok"] and "did you mean 'max_turns'" in second["problems"][0]


def test_validate_checks_the_model_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, BASE)
    monkeypatch.setenv("ROLEGRAPH_MODEL", "scriptd")
    assert main(["validate", str(path)]) == 2
    assert "did you mean 'scripted'" in capsys.readouterr().err
    monkeypatch.setenv("ROLEGRAPH_MODEL", "scripted")
    assert main(["validate", str(path)]) == 0


def test_run_json_summary_and_env_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, BASE)
    monkeypatch.setenv("ROLEGRAPH_MODEL", "scripted")  # the default of --model
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out), "-n", "2", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["planned"] == 2 and body["accepted"] + body["rejected"] == 2
    assert body["run_dir"] == str(out) and body["tokens"] > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert {m["spec"] for m in manifest["models"].values()} == {"scripted"}


def test_run_refuses_a_misspelt_model_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, BASE)
    out = tmp_path / "never"
    assert main(["run", str(path), "--out", str(out), "--model", "lcoal"]) == 2
    assert "did you mean 'local'" in capsys.readouterr().err
    assert not out.exists()


def test_openai_base_url_from_the_environment() -> None:
    import os

    env = {**os.environ, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    code = (
        "from rolegraph.cli import build_parser;"
        "a = build_parser().parse_args(['run', 'x.yaml']);"
        "print(a.base_url)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "http://127.0.0.1:9/v1"

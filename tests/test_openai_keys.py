"""Where the user's API key may go: the trust model in the README ("API keys")."""

from __future__ import annotations

import pytest

from bench.mock_server import MockConfig, MockServer
from rolegraph.errors import UsageError
from rolegraph.models.specs import api_key, build_model, role_configs
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.sections import ModelConfig
from tests.conftest import SCENARIOS


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-users-own")
    monkeypatch.setenv("TEAM_VLLM_KEY", "team-key")
    monkeypatch.delenv("ROLEGRAPH_ALLOW_PLAIN_HTTP_KEY", raising=False)


def test_the_default_key_goes_only_to_openais_own_api():
    assert api_key(ModelConfig(spec="openai:gpt-4o-mini"), "gpt-4o-mini") == "sk-users-own"
    assert (
        api_key(ModelConfig(spec="openai:m", base_url="https://api.openai.com/v1"), "m")
        == "sk-users-own"
    )
    for url in (
        "https://models.example.com/v1",
        "http://127.0.0.1:8000/v1",
        "https://api.openai.com.evil.io/v1",
    ):
        assert api_key(ModelConfig(spec="openai:m", base_url=url), "m") == "not-needed", url


def test_a_named_variable_goes_to_the_named_server():
    config = ModelConfig(
        spec="openai:m", base_url="https://models.example.com/v1", api_key_env="TEAM_VLLM_KEY"
    )
    assert api_key(config, "m") == "team-key"
    missing = config.model_copy(update={"api_key_env": "NOT_SET_ANYWHERE"})
    with pytest.raises(UsageError, match="the environment variable NOT_SET_ANYWHERE is not set"):
        api_key(missing, "m")


def test_never_over_plain_http_off_this_machine_without_opt_in(monkeypatch: pytest.MonkeyPatch):
    lan = ModelConfig(
        spec="openai:m", base_url="http://10.0.0.5:8000/v1", api_key_env="TEAM_VLLM_KEY"
    )
    with pytest.raises(UsageError) as info:
        api_key(lan, "m")
    assert str(info.value) == (
        "model 'openai:m': refusing to send the key in TEAM_VLLM_KEY over plain http to 10.0.0.5 "
        "(use https, or set ROLEGRAPH_ALLOW_PLAIN_HTTP_KEY=1 if this network is yours)"
    )
    for local in ("http://127.0.0.1:8000/v1", "http://localhost:11434/v1", "http://[::1]:8000/v1"):
        assert api_key(lan.model_copy(update={"base_url": local}), "m") == "team-key"
    monkeypatch.setenv("ROLEGRAPH_ALLOW_PLAIN_HTTP_KEY", "1")
    assert api_key(lan, "m") == "team-key"


def test_no_key_and_no_base_url_is_one_clear_line(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(UsageError, match="needs an API key: set the OPENAI_API_KEY"):
        api_key(ModelConfig(spec="openai:gpt-4o-mini"), "gpt-4o-mini")
    with pytest.raises(UsageError, match="is not an http"):
        api_key(ModelConfig(spec="openai:m", base_url="ftp://x/v1"), "m")


async def test_a_shared_scenarios_server_never_sees_the_users_key():
    server = MockServer(MockConfig(responder=lambda req: "hello"))
    url = await server.start()
    seen: list[str] = []
    original = server._dispatch

    async def spy(method: str, path: str, body: bytes):  # type: ignore[no-untyped-def]
        seen.append(body.decode())
        return await original(method, path, body)

    server._dispatch = spy  # type: ignore[method-assign]
    model = build_model(ModelConfig(spec="openai:m", base_url=url), "speaker")
    try:
        await model.ainvoke("hi")
    finally:
        await model.aclose()  # type: ignore[attr-defined]
        await server.stop()
    assert model.api_key.get_secret_value() == "not-needed"  # type: ignore[attr-defined]
    assert not any("sk-users-own" in body for body in seen)


def test_api_key_env_from_the_command_line_applies_to_every_openai_model():
    path = SCENARIOS / "support_outage.yaml"
    text = path.read_text().replace(
        "default: local", "default: {spec: 'openai:m', base_url: 'https://models.example.com/v1'}"
    )
    configs = role_configs(
        Scenario.from_text(text, path), ["speaker", "critic"], api_key_env="TEAM_VLLM_KEY"
    )
    assert {c.api_key_env for c in configs.values()} == {"TEAM_VLLM_KEY"}
    replaced = role_configs(
        Scenario.from_text(text, path),
        ["speaker"],
        model="openai:other",
        base_url="https://x.example/v1",
        api_key_env="TEAM_VLLM_KEY",
    )
    assert api_key(replaced["speaker"], "other") == "team-key"


def test_cli_api_key_env_refused_over_plain_http_is_one_line(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [
            *(sys.executable, "-m", "rolegraph", "run", str(SCENARIOS / "support_outage.yaml")),
            *("--model", "openai:m", "--base-url", "http://10.0.0.5:8000/v1"),
            *("--api-key-env", "TEAM_VLLM_KEY", "--out", str(tmp_path / "run")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TEAM_VLLM_KEY": "team-key"},
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: model 'openai:m': refusing to send the key in TEAM_VLLM_KEY over plain http to "
        "10.0.0.5 (use https, or set ROLEGRAPH_ALLOW_PLAIN_HTTP_KEY=1 if this network is yours)"
    ]
    assert not (tmp_path / "run").exists()

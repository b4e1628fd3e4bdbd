"""Model specs → LangChain chat models, one per role.

Specs: `local` (embedded SmolLM2 via llama.cpp, the default), `scripted` (deterministic),
`openai:MODEL` (OpenAI or any OpenAI-compatible server via `base_url`), or any other
`provider:model` string that LangChain's `init_chat_model` understands.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from langchain_core.language_models import BaseChatModel

from rolegraph.errors import UsageError, missing_extra
from rolegraph.scenario.modelspec import spec_problem
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.sections import ModelConfig

# Per-role sampling defaults: lively speakers, a steady critic.
ROLE_TEMPERATURE = {"speaker": 0.8, "critic": 0.1, "reviser": 0.5}
CORE_ROLES = ("speaker", "critic", "reviser")


def check_spec(spec: str) -> str | None:
    """Why `spec` cannot name a model, or None when it can (see rolegraph.scenario.modelspec)."""
    return spec_problem(spec)


def build_model(
    config: ModelConfig, role: str, seed: int = 0, label: str | None = None
) -> BaseChatModel:
    """The chat model `config` describes, set up for `role`.

    `label` is the scenario's name for the config (`models.LABEL`), which messages name.
    """
    if problem := check_spec(config.spec):
        raise UsageError(problem)
    temperature = (
        config.temperature if config.temperature is not None else ROLE_TEMPERATURE.get(role, 0.7)
    )
    if config.spec == "scripted":
        from rolegraph.models.scripted import ScriptedChatModel

        return ScriptedChatModel(role=role)
    if config.spec == "local":
        from rolegraph.models.local import LocalChatModel, embedded_model_path

        path = config.params.get("model_path") or embedded_model_path()
        kwargs: dict[str, Any] = {
            "model_path": path,
            "temperature": temperature,
            "seed": seed,
            "slot": role,
        }
        kwargs["max_tokens"] = config.max_tokens or (96 if role != "critic" else 448)
        return LocalChatModel(**kwargs)
    provider, _, name = config.spec.partition(":")
    if provider == "openai":
        return _openai(config, name, temperature, label or role)
    try:
        from langchain.chat_models import init_chat_model
    except ImportError:
        raise UsageError(
            f"model '{config.spec}' needs LangChain's init_chat_model: pip install langchain langchain-{provider}"
        ) from None
    kwargs = {"temperature": temperature, **config.params}
    if config.max_tokens:
        kwargs["max_tokens"] = config.max_tokens
    if config.base_url:
        kwargs["base_url"] = config.base_url
    try:
        return init_chat_model(config.spec, **kwargs)
    except ImportError as exc:
        raise UsageError(f"model '{config.spec}': {exc}") from None


OPENAI_API_HOST = "api.openai.com"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
# Plain-http servers on these hosts may be sent a key; anything else needs the opt-in below.
ALLOW_PLAIN_HTTP_ENV = "ROLEGRAPH_ALLOW_PLAIN_HTTP_KEY"
STRUCTURED_OUTPUT = ("json_schema", "tools", "json_object", "prompt", "vllm", "guided_json", "tgi")


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def api_key(config: ModelConfig, name: str) -> str:
    """The key an `openai:` model sends, by the trust model in the README ("API keys").

    - `api_key_env` named (scenario or `--api-key-env`): that variable, to that base_url;
    - none named: `OPENAI_API_KEY`, and only to OpenAI's own API (`https://api.openai.com`);
      any other base_url gets no key at all;
    - never a key over plain http to a host other than this machine, unless the user sets
      `ROLEGRAPH_ALLOW_PLAIN_HTTP_KEY=1`.
    """
    url = urlsplit(config.base_url or f"https://{OPENAI_API_HOST}/v1")
    host = (url.hostname or "").lower()
    if url.scheme not in ("http", "https") or not host:
        raise UsageError(
            f"model 'openai:{name}': base_url '{config.base_url}' is not an http(s) URL"
        )
    env = config.api_key_env
    if env is None and host != OPENAI_API_HOST:
        return "not-needed"  # the user's OpenAI key never goes to a server a scenario names
    env = env or DEFAULT_KEY_ENV
    key = os.environ.get(env)
    if not key:
        if config.api_key_env is None:
            raise UsageError(
                f"model 'openai:{name}' needs an API key: set the {env} environment variable "
                "(or give base_url for a local OpenAI-compatible server)"
            )
        raise UsageError(f"model 'openai:{name}': the environment variable {env} is not set")
    if url.scheme == "http" and not _loopback(host) and os.environ.get(ALLOW_PLAIN_HTTP_ENV) != "1":
        raise UsageError(
            f"model 'openai:{name}': refusing to send the key in {env} over plain http to {host} "
            f"(use https, or set {ALLOW_PLAIN_HTTP_ENV}=1 if this network is yours)"
        )
    return key


def _openai(config: ModelConfig, name: str, temperature: float, label: str = "") -> BaseChatModel:
    from rolegraph.models.openai_compat import OpenAICompatChat

    key = api_key(config, name)
    params = dict(config.params)
    client = params.pop("client", "rolegraph")
    if client not in ("rolegraph", "langchain"):
        raise UsageError(
            f"model 'openai:{name}': params.client is '{client}'; choose 'rolegraph' or 'langchain'"
        )
    structured = params.pop("structured_output", None) or config.structured_output
    if structured is not None and structured not in STRUCTURED_OUTPUT:
        raise UsageError(
            f"model 'openai:{name}': structured_output is '{structured}'; choose one of "
            + ", ".join(STRUCTURED_OUTPUT)
        )
    if client == "langchain":
        return _langchain_openai(config, name, temperature, key, params)
    kwargs: dict[str, Any] = {
        "model": name,
        "api_key": key,
        "temperature": temperature,
        "timeout": config.timeout or 120,
        "max_in_flight": config.max_in_flight,
        "max_tokens": config.max_tokens,
        "rpm": config.rpm,
        "tpm": config.tpm,
        "structured_output": structured,
        "label": label,
        # request fields the scenario adds (top_p, seed, ...), sent as given
        "default_headers": params.pop("default_headers", {}),
    }
    if "rate_limit_deadline" in params:
        kwargs["rate_limit_deadline"] = float(params.pop("rate_limit_deadline"))
    if "schema_max_string" in params:
        kwargs["schema_max_string"] = int(params.pop("schema_max_string"))
    kwargs["extra_body"] = {**params.pop("extra_body", {}), **params}
    if config.base_url:
        kwargs["base_url"] = config.base_url
    return OpenAICompatChat(**kwargs)


def _langchain_openai(
    config: ModelConfig, name: str, temperature: float, key: str, params: dict[str, Any]
) -> BaseChatModel:
    """LangChain's ChatOpenAI, for users who need a feature only it has (`client: langchain`)."""
    import httpx
    from langchain_openai import ChatOpenAI

    kwargs: dict[str, Any] = {
        "model": name,
        "api_key": key,
        "temperature": temperature,
        "timeout": config.timeout or 120,
        "max_retries": 6,
        # its own pool, closed by close_models when the run ends
        "http_async_client": httpx.AsyncClient(timeout=config.timeout or 120),
        **params,
    }
    if config.base_url:
        kwargs["base_url"] = config.base_url
    if config.max_tokens:
        kwargs["max_tokens"] = config.max_tokens
    return ChatOpenAI(**kwargs)


def role_configs(
    scenario: Scenario,
    roles: Iterable[str],
    model: str | None = None,
    base_url: str | None = None,
    api_key_env: str | None = None,
) -> dict[str, ModelConfig]:
    """The model config each role will use: `--model` replaces all, else role, else default, else local.

    `api_key_env` (`--api-key-env`) names the key variable of every `openai:` model.
    """
    default = scenario.models.get("default", ModelConfig())
    configs = {}
    for role in ["default", *roles]:
        config = scenario.models.get(role, default)
        if model is not None:
            config = ModelConfig(
                spec=model,
                base_url=base_url or config.base_url if model.startswith("openai:") else None,
            )
        elif base_url is not None and config.spec.startswith("openai:"):
            config = config.model_copy(update={"base_url": base_url})
        if api_key_env is not None and config.spec.startswith("openai:"):
            config = config.model_copy(update={"api_key_env": api_key_env})
        configs[role] = config
    return configs


def build_models(configs: dict[str, ModelConfig], seed: int = 0) -> dict[str, BaseChatModel]:
    """One chat model per role; roles with identical configs share one client.

    A role without a config of its own has the default's (`role_configs`): its model is
    labelled `default`, so a message pointing at a setting names the entry to change.
    """
    cache: dict[tuple[str, str], BaseChatModel] = {}
    labels: dict[str, str] = {}
    models = {}
    for role, config in configs.items():
        dumped = config.model_dump_json()
        label = labels.setdefault(dumped, role)  # "default" comes first in role_configs
        key = (dumped, role if config.spec == "scripted" or config.temperature is None else "")
        if key not in cache:
            cache[key] = build_model(config, role, seed, label)
        models[role] = cache[key]
    return models


async def preflight(models: Mapping[str, BaseChatModel], timeout: float = 10.0) -> None:
    """Check every endpoint answers before a run starts: a UsageError (one line) when one does not.

    Models with a `preflight` method (rolegraph's `openai:` client) are asked, once per
    base URL, all at once; so a dead `--base-url` fails the run in seconds, not per sample.
    """
    import asyncio

    checks: dict[str, BaseChatModel] = {}
    for model in models.values():
        if hasattr(model, "preflight"):
            checks.setdefault(str(getattr(model, "base_url", id(model))), model)
    problems = await asyncio.gather(*(m.preflight(timeout) for m in checks.values()))  # type: ignore[attr-defined]
    for model, problem in zip(checks.values(), problems, strict=True):
        if problem:
            name = getattr(model, "model_name", "?")
            raise UsageError(f"model 'openai:{name}': {problem}")


async def close_models(models: dict[str, BaseChatModel]) -> None:
    """Release what the models hold (HTTP connection pools)."""
    for model in {id(m): m for m in models.values()}.values():
        close = getattr(model, "aclose", None)
        if close is not None:
            await close()
        pool = getattr(model, "http_async_client", None)  # LangChain's ChatOpenAI
        if pool is not None and not pool.is_closed:
            await pool.aclose()


def describe(
    configs: dict[str, ModelConfig], given: Mapping[str, BaseChatModel] | None = None
) -> dict[str, dict[str, Any]]:
    """What the manifest records about models: never an API key, only the variable's name.

    A ready-made model object (the Python API's `models=`) is described by its class and,
    where it has one, its model name, in the same shape as a spec, so every reader of the
    manifest (eval, export, report) treats both alike.
    """
    described: dict[str, dict[str, Any]] = {}
    for role, c in configs.items():
        model = (given.get(role) or given.get("default")) if given is not None else None
        if model is None:
            described[role] = c.model_dump(
                exclude_none=True, exclude_defaults=False, exclude={"params"}
            )
            continue
        name = getattr(model, "model_name", None) or getattr(model, "model", None)
        described[role] = {
            "spec": f"object:{type(model).__name__}",
            "class": f"{type(model).__module__}.{type(model).__qualname__}",
            **({"model": name} if isinstance(name, str) else {}),
        }
    return described


__all__ = [
    "CORE_ROLES",
    "build_model",
    "build_models",
    "check_spec",
    "describe",
    "missing_extra",
    "role_configs",
]

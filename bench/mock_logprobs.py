"""Log-probabilities for the mock server's answers, in the OpenAI chat-completions shape.

Each answer is cut into word, digit, space and punctuation tokens. Every token gets
probability 1, except single digits when a digit distribution is configured
(`--digit-logprobs "2:0.5,4:0.5"`): then each digit token's `top_logprobs` are those digits
with those probabilities, which is what G-Eval scoring reads.
"""

from __future__ import annotations

import math
import re
from typing import Any

_TOKEN = re.compile(r"\d|[A-Za-z]+|\s+|[^\w\s]+|_+")


def parse_digits(spec: str) -> dict[str, float]:
    """'2:0.5,4:0.5' -> {'2': 0.5, '4': 0.5}; empty for ''."""
    out = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        digit, _, prob = part.partition(":")
        out[digit.strip()] = float(prob)
    return out


def token_logprobs(content: str, top: int, digits: dict[str, float]) -> dict[str, Any]:
    """`choice.logprobs` for `content`: `{"content": [{token, logprob, bytes, top_logprobs}]}`."""
    items = []
    for token in _TOKEN.findall(content):
        if digits and token.isdigit():
            ranked = sorted(digits.items(), key=lambda kv: -kv[1])[: max(1, top)]
            alts = [
                {"token": d, "logprob": math.log(p), "bytes": list(d.encode())} for d, p in ranked
            ]
            own = digits.get(token)
            logprob = math.log(own) if own else -30.0
        else:
            alts = [{"token": token, "logprob": 0.0, "bytes": list(token.encode())}][: max(0, top)]
            logprob = 0.0
        items.append(
            {
                "token": token,
                "logprob": logprob,
                "bytes": list(token.encode()),
                "top_logprobs": alts,
            }
        )
    return {"content": items, "refusal": None}

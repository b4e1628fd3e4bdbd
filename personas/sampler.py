"""Seeded sampling of personas and condition values, so a seed fixes the whole plan."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from typing import Any

from personas.model import Persona


def derive_seed(run_seed: int, *parts: object) -> int:
    """A stable 63-bit seed from the run seed and any labels (sample index, speaker, ...).

    Uses a hash rather than `hash()` so plans are identical across processes and machines.
    """
    text = ":".join([str(run_seed), *(str(p) for p in parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def sample_persona(
    pool: Sequence[Persona], rng: random.Random, exclude: set[str] | None = None
) -> Persona:
    """Draw one persona from `pool`, avoiding names in `exclude` while any other is left."""
    candidates = [p for p in pool if not exclude or p.name not in exclude] or list(pool)
    return rng.choice(candidates)


def sample_conditions(
    conditions: Mapping[str, Sequence[Any] | Mapping[Any, float]], rng: random.Random
) -> dict[str, Any]:
    """Pick one value per condition; a mapping of value -> weight draws by weight."""
    picked: dict[str, Any] = {}
    for key in sorted(conditions):
        values = conditions[key]
        if isinstance(values, Mapping):
            options = list(values)
            picked[key] = rng.choices(options, weights=[float(values[o]) for o in options])[0]
        else:
            picked[key] = rng.choice(list(values))
    return picked

"""The user-facing errors (defined in `agents.errors`, the bottom layer every package may import)."""

from agents.errors import (
    ModelOutputError,
    RolegraphError,
    ScenarioError,
    TransportError,
    UsageError,
    missing_extra,
)

__all__ = [
    "ModelOutputError",
    "RolegraphError",
    "ScenarioError",
    "TransportError",
    "UsageError",
    "missing_extra",
]

"""How roles are wired: the sample graph factory, its routers and visualization."""

from graphs.builder import (
    GraphSpec,
    NodeSpec,
    WiringError,
    build_sample_graph,
    check_wiring,
    recursion_limit,
)
from graphs.routers import route_turn, route_verdict

__all__ = [
    "GraphSpec",
    "NodeSpec",
    "WiringError",
    "build_sample_graph",
    "check_wiring",
    "recursion_limit",
    "route_turn",
    "route_verdict",
]

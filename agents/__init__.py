"""Roles: what each agent does (speaker, critic, reviser, ...) and the registry that finds them.

Names are imported lazily so that light users (scenario validation) do not pay for LangChain.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Role": "agents.base",
    "RoleDefinitionError": "agents.base",
    "all_roles": "agents.base",
    "register": "agents.base",
    "resolve_role": "agents.base",
    "Criterion": "agents.context",
    "RunContext": "agents.context",
    "Critic": "agents.critic",
    "Reviser": "agents.reviser",
    "Speaker": "agents.speaker",
    "CheckFinding": "agents.state",
    "SampleState": "agents.state",
    "Turn": "agents.state",
    "Verdict": "agents.state",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'agents' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)

"""Roles: what each agent does (speaker, critic, reviser, ...) and the registry that finds them."""

from agents.base import Role, RoleDefinitionError, all_roles, register, resolve_role
from agents.context import Criterion, RunContext
from agents.critic import Critic
from agents.reviser import Reviser
from agents.speaker import Speaker
from agents.state import CheckFinding, SampleState, Turn, Verdict

__all__ = [
    "CheckFinding",
    "Critic",
    "Criterion",
    "Reviser",
    "Role",
    "RoleDefinitionError",
    "RunContext",
    "SampleState",
    "Speaker",
    "Turn",
    "Verdict",
    "all_roles",
    "register",
    "resolve_role",
]

"""The Role base class and the registry that finds roles by name, entry point or path."""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from agents.context import RunContext
    from agents.state import SampleState

ENTRY_POINT_GROUP = "rolegraph.roles"


class RoleDefinitionError(TypeError):
    """A role class is declared wrongly; the message names the role and the problem."""


class Role:
    """One agent role: declares itself by class attributes and does one async call.

    Subclasses set `name` and `description` and implement
    `async def __call__(self, state, ctx) -> dict` returning a partial state update.
    The framework owns everything else: wiring, retries, usage accounting and storage.
    """

    name: ClassVar[str]
    description: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if inspect.isabstract(cls) or cls.__dict__.get("abstract", False):
            return
        for attr in ("name", "description"):
            value = getattr(cls, attr, None)
            if not isinstance(value, str) or not value.strip():
                raise RoleDefinitionError(
                    f"role class {cls.__module__}.{cls.__qualname__} must set a non-empty "
                    f"string class attribute '{attr}'"
                )
        call = cls.__call__  # defined on the class or inherited from a concrete role
        if call is None or call is Role.__call__ or not inspect.iscoroutinefunction(call):
            raise RoleDefinitionError(
                f"role '{cls.name}' ({cls.__module__}.{cls.__qualname__}) must define "
                "'async def __call__(self, state, ctx) -> dict'"
            )

    async def __call__(self, state: SampleState, ctx: RunContext) -> dict[str, Any]:
        raise NotImplementedError  # pragma: no cover - __init_subclass__ forbids reaching this


_REGISTRY: dict[str, type[Role]] = {}


def register(cls: type[Role]) -> type[Role]:
    """Class decorator: make a role available by its name."""
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise RoleDefinitionError(
            f"role name '{cls.name}' is taken by {existing.__module__}.{existing.__qualname__}"
        )
    _REGISTRY[cls.name] = cls
    return cls


BUILTIN_MODULES = ("agents.speaker", "agents.critic", "agents.reviser")


def _load_builtins() -> None:
    for module in BUILTIN_MODULES:
        importlib.import_module(module)  # each registers its role on import


def _load_entry_points() -> None:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _REGISTRY:
            continue
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must name itself, not crash elsewhere
            raise RoleDefinitionError(
                f"role entry point '{ep.name}' ({ep.value}) failed to load: {exc}"
            ) from exc
        _check_role_class(cls, ep.value)
        _REGISTRY.setdefault(ep.name, cls)


def _check_role_class(obj: object, where: str) -> None:
    if not (inspect.isclass(obj) and issubclass(obj, Role)):
        raise RoleDefinitionError(f"'{where}' is not a subclass of agents.Role")


def resolve_role(ref: str) -> type[Role]:
    """Find a role class by registered name, entry point name, or 'module.path:ClassName'."""
    if ":" in ref:
        module_name, _, attr = ref.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise RoleDefinitionError(
                f"role '{ref}': cannot import module '{module_name}': {exc}"
            ) from exc
        cls = getattr(module, attr, None)
        if cls is None:
            raise RoleDefinitionError(f"role '{ref}': module '{module_name}' has no '{attr}'")
        _check_role_class(cls, ref)
        return cls
    if ref not in _REGISTRY:
        _load_builtins()
    if ref not in _REGISTRY:
        _load_entry_points()
    if ref not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise RoleDefinitionError(f"unknown role '{ref}' (known roles: {known})")
    return _REGISTRY[ref]


def all_roles() -> dict[str, type[Role]]:
    """Every role that can be found by name, built-in and installed."""
    _load_builtins()
    _load_entry_points()
    return dict(sorted(_REGISTRY.items()))

"""The Role base class and the registry that finds roles by name, entry point or path.

A role is one agent: a class with `name` and `description` and one async call from the
sample state to a partial state update. Optional class attributes make common roles short:
`prompt` (a `str.format` template), `output_model` (a pydantic model the model's answer must
fill), `Options` (a pydantic model of the settings a scenario may give the role) and `places`
(where in the sample graph the role may be wired). See docs/extending.md.
"""

from __future__ import annotations

import importlib
import inspect
import re
import string
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

    from agents.context import RunContext
    from agents.state import SampleState

ENTRY_POINT_GROUP = "rolegraph.roles"
PLACES = ("review", "turns", "player")  # before/after the critic, turn router, writes turns
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class RoleDefinitionError(TypeError):
    """A role class is declared wrongly; the message names the role and the problem."""


class Role:
    """One agent role: declares itself by class attributes and does one async call.

    Subclasses set `name` (lower_snake_case) and `description` and implement
    `async def __call__(self, state, ctx) -> dict` returning a partial state update.
    The framework owns everything else: wiring, retries, usage accounting and storage.

    Optional class attributes:
        prompt: a `str.format` template; `self.render(**values)` fills it.
        output_model: a pydantic model; `await self.ask(ctx, messages)` then returns an
            instance of it (invalid answers are fed back to the model), else the reply text.
        Options: a pydantic model of the role's settings; the scenario's `options:` for the
            role are validated against it and available as `self.options`.
        places: where the role may be wired: "review" (between the finished dialogue and the
            decision: a checker before the critic or a gate after it), "turns" (the turn
            router: sets `next_speaker`), "player" (writes a speaker's turns).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    prompt: ClassVar[str | None] = None
    output_model: ClassVar[type[BaseModel] | None] = None
    Options: ClassVar[type[BaseModel] | None] = None
    places: ClassVar[tuple[str, ...]] = ("review",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if inspect.isabstract(cls) or cls.__dict__.get("abstract", False):
            return
        where = f"{cls.__module__}.{cls.__qualname__}"
        for attr in ("name", "description"):
            value = getattr(cls, attr, None)
            if not isinstance(value, str) or not value.strip():
                raise RoleDefinitionError(
                    f"role class {where} must set a non-empty string class attribute '{attr}'"
                )
        if not _NAME.match(cls.name):
            raise RoleDefinitionError(
                f"role '{cls.name}' ({where}): name must be lower_snake_case, e.g. 'fact_checker'"
            )
        call = cls.__call__  # defined on the class or inherited from a concrete role
        if call is None or not inspect.iscoroutinefunction(call):
            raise RoleDefinitionError(
                f"role '{cls.name}' ({where}) must define "
                "'async def __call__(self, state, ctx) -> dict'"
            )
        for attr in ("output_model", "Options"):
            value = getattr(cls, attr)
            if value is not None and not (inspect.isclass(value) and issubclass(value, BaseModel)):
                raise RoleDefinitionError(
                    f"role '{cls.name}' ({where}): '{attr}' must be a pydantic BaseModel "
                    f"subclass, not {value!r}"
                )
        if cls.prompt is not None:
            if not isinstance(cls.prompt, str):
                raise RoleDefinitionError(f"role '{cls.name}' ({where}): 'prompt' must be a str")
            try:
                list(string.Formatter().parse(cls.prompt))
            except ValueError as exc:
                raise RoleDefinitionError(
                    f"role '{cls.name}' ({where}): prompt template is malformed: {exc} "
                    "(write literal braces as '{{' and '}}')"
                ) from None
        if isinstance(cls.places, str) or not set(cls.places) <= set(PLACES):
            raise RoleDefinitionError(
                f"role '{cls.name}' ({where}): 'places' must be a tuple drawn from "
                f"{', '.join(PLACES)}; got {cls.places!r}"
            )

    def __init__(self, **options: Any) -> None:
        """Validate the scenario's options for this role against `Options`."""
        if self.Options is None:
            if options:
                raise RoleDefinitionError(
                    f"role '{self.name}' takes no options (got: {', '.join(sorted(options))})"
                )
            self.options: Any = None
            return
        try:
            self.options = self.Options.model_validate(options)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}"
                for e in exc.errors(include_url=False)
            )
            raise RoleDefinitionError(f"role '{self.name}': bad options: {problems}") from None

    if TYPE_CHECKING:  # declared for type checkers; every concrete role defines it (checked above)

        async def __call__(self, state: SampleState, ctx: RunContext) -> dict[str, Any]: ...

    def render(self, **values: Any) -> str:
        """The `prompt` template filled with `values`."""
        if self.prompt is None:
            raise RoleDefinitionError(f"role '{self.name}' has no 'prompt' template to render")
        try:
            return self.prompt.format(**values)
        except (KeyError, IndexError) as exc:
            raise RoleDefinitionError(
                f"role '{self.name}': prompt template needs a value for {exc}"
            ) from None

    async def ask(
        self, ctx: RunContext, messages: str | Sequence[BaseMessage], *, system: str = ""
    ) -> Any:
        """Ask this role's model (scenario `models: {<name>: ...}`, else the default).

        Returns an `output_model` instance when the role declares one (an invalid answer is
        sent back with the error, up to `critic.retries` times), else the reply's text.
        """
        from langchain_core.messages import HumanMessage, SystemMessage

        convo: list[BaseMessage] = [SystemMessage(content=system)] if system else []
        convo += [HumanMessage(content=messages)] if isinstance(messages, str) else list(messages)
        model = ctx.model_for(self.name)
        if self.output_model is None:
            reply = await model.ainvoke(convo)
            return str(reply.text)
        from agents.structured import ask_structured

        return await ask_structured(model, self.output_model, convo, retries=ctx.structured_retries)

    def finding(self, state: SampleState, *, check: str, message: str, **fields: Any) -> dict:
        """A Finding about the current draft, as the dict to put in the `findings` update."""
        from agents.state import Finding

        return Finding(
            source=self.name,
            check=check,
            message=message,
            revision=state.get("revisions", 0),
            **fields,
        ).model_dump(mode="json")

    def reject(self, findings: list[dict[str, Any]]) -> dict[str, Any]:
        """The update of a gate that refuses the sample: it ends as rejected, with reasons."""
        return {"findings": findings, "status": "rejected", "rejected_by": self.name}


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


BUILTIN_MODULES = (
    "agents.speaker",
    "agents.critic",
    "agents.reviser",
    "agents.fact_checker",
    "agents.safety",
    "agents.director",
    "agents.user_simulator",
    "agents.tool_speaker",
)


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
        if cls.name != ep.name:
            raise RoleDefinitionError(
                f"role entry point '{ep.name}' ({ep.value}) points to a role named "
                f"'{cls.name}'; name the entry point '{cls.name}'"
            )
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
        except RoleDefinitionError:
            raise  # a role class in the module is declared wrongly; the message says which
        except ImportError as exc:
            raise RoleDefinitionError(
                f"role '{ref}': cannot import module '{module_name}': {exc}"
            ) from exc
        except Exception as exc:  # a broken module must name itself, not crash elsewhere
            raise RoleDefinitionError(
                f"role '{ref}': importing module '{module_name}' failed: "
                f"{type(exc).__name__}: {exc}"
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

"""Persona libraries: YAML files of personas, shipped or the user's own."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from personas.model import Persona

LIBRARY_DIR = Path(__file__).parent / "libraries"


class PersonaLibrary(BaseModel):
    """A named set of personas from one YAML file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    personas: list[Persona] = Field(min_length=1)

    def with_role(self, role: str) -> list[Persona]:
        """The personas whose role is `role`, case-insensitively."""
        return [p for p in self.personas if p.role.lower() == role.lower()]

    def get(self, name: str) -> Persona | None:
        """The persona called `name`, case-insensitively, or None."""
        for persona in self.personas:
            if persona.name.lower() == name.lower():
                return persona
        return None


class LibraryError(ValueError):
    """A persona library could not be read; the message says where and why."""


def load_library(path: str | Path) -> PersonaLibrary:
    """Read a persona library file, raising LibraryError with a readable message."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LibraryError(f"cannot read persona library {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise LibraryError(f"persona library {path} is not valid YAML: {exc}") from exc
    return library_from_data(data, path)


def library_from_data(data: object, path: str | Path) -> PersonaLibrary:
    """A persona library from parsed YAML (`path` names it in messages and by default)."""
    path = Path(path)
    if not isinstance(data, dict):
        raise LibraryError(f"persona library {path} must be a mapping with 'name' and 'personas'")
    data = {"name": path.stem, **data}
    try:
        return PersonaLibrary.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise LibraryError(f"persona library {path}: {loc}: {first['msg']}") from exc


@cache
def builtin_libraries() -> dict[str, PersonaLibrary]:
    """The persona libraries shipped inside the package, by name."""
    libraries = {}
    for file in sorted(LIBRARY_DIR.glob("*.yaml")):
        library = load_library(file)
        libraries[library.name] = library
    return libraries

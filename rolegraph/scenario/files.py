"""The files a scenario names: where they may be, and how they are read.

A scenario is often someone else's file. What it reads (`facts_file`, a persona `library`,
a seed) may end up in prompts sent to a model endpoint, so a scenario may only name files
inside its own folder: an absolute path, a `../` that leaves the folder, or a symbolic link
pointing out of it is refused, unless the user allows another folder with `--allow-path DIR`
(repeatable) or `ROLEGRAPH_ALLOW_PATHS` (folders separated by the OS path separator).

Files are read only if they are regular files of bounded size (a FIFO would hang, a device
such as /dev/zero would never end) and as UTF-8, with the line and column of a bad byte.
`resolve_inside` and `read_text_file` are what any section that names a file calls.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from personas import PersonaLibrary, builtin_libraries
from personas.library import LibraryError, library_from_data
from rolegraph.scenario.yamlsource import load_located

ALLOW_ENV = "ROLEGRAPH_ALLOW_PATHS"
MAX_FILE_BYTES = 16 * 1024 * 1024  # facts, persona libraries: far more text than a prompt holds


class FileProblem(ValueError):
    """A file a scenario names cannot be used; the message says why, in one line."""


def allowed_folders(extra: Sequence[str | Path] = ()) -> list[Path]:
    """Folders outside a scenario's own that the user allows it to read from."""
    named = [p for p in os.environ.get(ALLOW_ENV, "").split(os.pathsep) if p.strip()]
    return [Path(p).expanduser().resolve() for p in [*named, *extra]]


def resolve_inside(ref: str, base: Path, allow: Sequence[str | Path] = ()) -> Path:
    """The file `ref` names, relative to the scenario's folder `base`, if it may be read.

    Allowed: anything that resolves (symbolic links followed) inside `base` or inside a
    folder from `allowed_folders(allow)`. Raises FileProblem otherwise.
    """
    path = Path(ref).expanduser()
    full = path if path.is_absolute() else base / path
    real = full.resolve()
    roots = [base.resolve(), *allowed_folders(allow)]
    if any(real == root or real.is_relative_to(root) for root in roots):
        return full
    how = (
        "an absolute path"
        if path.is_absolute()
        else "a path through '..'"
        if ".." in path.parts
        else "a link that leads"
    )
    return _refuse(ref, how, base)


def _refuse(ref: str, how: str, base: Path) -> NoReturn:
    raise FileProblem(
        f"'{ref}' is {how} outside the scenario's folder ({base.resolve()}); a scenario may "
        f"only read files inside its folder, unless you allow another folder with "
        f"--allow-path DIR or {ALLOW_ENV}"
    )


def read_bytes_bounded(path: Path, limit: int = MAX_FILE_BYTES, *, regular: bool = True) -> bytes:
    """At most `limit` bytes of `path`; FileProblem for a non-regular or too large file.

    `regular=False` still bounds the read but accepts pipes (a scenario given as
    `<(generate)` on the command line, named by the user, not by a scenario).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | (os.O_NONBLOCK if regular else 0))
    except FileNotFoundError:
        raise FileProblem(f"file not found: {path}") from None
    except IsADirectoryError:
        raise FileProblem(f"cannot read {path}: it is a folder, not a file") from None
    except OSError as exc:
        raise FileProblem(f"cannot read {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if regular and not stat.S_ISREG(info.st_mode):
            raise FileProblem(f"cannot read {path}: not a regular file ({_kind(info.st_mode)})")
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise FileProblem(_too_large(path, limit))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while read, or a device without end
            raise FileProblem(_too_large(path, limit))
        return b"".join(chunks)
    except IsADirectoryError:
        raise FileProblem(f"cannot read {path}: it is a folder, not a file") from None
    except OSError as exc:
        raise FileProblem(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)


def read_text_file(path: Path, limit: int = MAX_FILE_BYTES, *, regular: bool = True) -> str:
    """A bounded file as UTF-8 text; a bad byte is reported with its line and column."""
    data = read_bytes_bounded(path, limit, regular=regular)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = byte_position(data, exc.start)
        raise FileProblem(
            f"{path}:{line}: not UTF-8 text: byte 0x{data[exc.start]:02x} at column {column} "
            "(save the file as UTF-8)"
        ) from None


def byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of byte `offset` in `data`."""
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def find_library(ref: str, base: Path, allow: Sequence[str | Path] = ()) -> PersonaLibrary | str:
    """A built-in library by name, or a YAML file inside the scenario's folder; else an error."""
    builtins = builtin_libraries()
    if ref in builtins:
        return builtins[ref]
    if not (ref.endswith((".yaml", ".yml")) or "/" in ref):
        return f"unknown persona library '{ref}' (built-in: {', '.join(sorted(builtins))}; or give a .yaml path)"
    try:
        file = resolve_inside(ref, base, allow)
        if not file.exists():
            return f"persona library file not found: {file}"
        located = load_located(read_text_file(file))
    except FileProblem as exc:
        return str(exc)
    if located.problems:  # the library's own YAML problem, with its line
        line, _, message = located.problems[0]
        return f"persona library {file}:{line}: {message}"
    try:
        return library_from_data(located.data, file)
    except LibraryError as exc:
        return str(exc)


def _too_large(path: Path, limit: int) -> str:
    return f"cannot read {path}: larger than {limit // (1024 * 1024)} MB"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a plain file"


__all__ = [
    "ALLOW_ENV",
    "MAX_FILE_BYTES",
    "FileProblem",
    "allowed_folders",
    "byte_position",
    "find_library",
    "read_bytes_bounded",
    "read_text_file",
    "resolve_inside",
]

"""What the run directory's disk can refuse, said in one line with what to do next.

A full disk, a read-only or foreign directory and a damaged run store reach the runner as
`OSError` or `sqlite3` errors from deep inside a write. The run store commits each sample in
one transaction before its JSONL line is appended, so whatever was refused, the finished
samples are consistent; these messages say so, and how to continue.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from rolegraph.errors import UsageError

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY = {errno.EROFS}
_DENIED = {errno.EACCES, errno.EPERM}


def disk_problem(exc: BaseException, run_dir: Path, resume: str) -> UsageError | None:
    """The one-line usage error for a disk fault under `run_dir`, or None if `exc` is not one.

    `resume` is the command that continues the run (shown when continuing makes sense).
    """
    cause = exc.__cause__
    if not isinstance(exc, OSError | sqlite3.Error) and cause is not None:
        return disk_problem(cause, run_dir, resume)  # e.g. a checkpoint write that failed
    where = _where(exc, run_dir)
    if isinstance(exc, sqlite3.DatabaseError):
        text = str(exc).lower()
        if "full" in text:
            return UsageError(_full(where, resume))
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return UsageError(_read_only(where))
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return UsageError(damaged_store(run_dir / "run.sqlite", str(exc)))
        if "disk i/o error" in text:
            return UsageError(
                f"a write under {where} failed (disk I/O error: a full disk or a failing "
                f"device); every finished sample is kept; free some space or check the "
                f"device, then continue with: {resume}"
            )
        return None
    if isinstance(exc, OSError) and exc.errno is not None:
        if exc.errno in _FULL:
            return UsageError(_full(where, resume))
        if exc.errno in _READ_ONLY:
            return UsageError(_read_only(where))
        if exc.errno in _DENIED:
            return UsageError(
                f"cannot write {where} (permission denied): choose another --out or fix its "
                "permissions"
            )
    return None


def damaged_store(path: Path, detail: str) -> str:
    """The message for a run store SQLite cannot read (truncated, overwritten, not SQLite)."""
    return (
        f"{path} is damaged ({detail}): the samples finished before the damage are still in "
        "the run directory's .jsonl files; restore the file from a backup, or start again "
        "with another --out"
    )


def _where(exc: BaseException, run_dir: Path) -> str:
    name = getattr(exc, "filename", None)
    return str(name) if name else str(run_dir)


def _full(where: str, resume: str) -> str:
    return (
        f"no space left to write {where}: every finished sample is kept; free some space, "
        f"then continue with: {resume}"
    )


def _read_only(where: str) -> str:
    return f"cannot write {where} (read-only): choose another --out, or make it writable"


__all__ = ["damaged_store", "disk_problem"]

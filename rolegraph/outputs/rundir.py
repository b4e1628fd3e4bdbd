"""Reading a finished (or running) run directory: the one API exports, eval and reports use.

Keeping readers behind this module lets the storage underneath change (JSONL files today,
the SQLite run store as it lands) without touching every consumer. Readers never take the
run directory's lock: they work while a run writes. The counts a reader shows come from the
run store (read-only), not from the manifest, which a run rewrites at most once a second
and a crash leaves behind; a manifest that says "running" with no live writer is shown as
"interrupted".
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rolegraph.errors import UsageError
from rolegraph.outputs.records import STATUS_FILES

STORE_FILE = "run.sqlite"  # the run store (rolegraph.run.store)
LOCK_FILE = "run.lock"  # held by the one process writing the run (rolegraph.run.lock)


@dataclass(frozen=True)
class RunDir:
    """A run directory: its manifest and its sample records, read lazily."""

    path: Path
    manifest: dict[str, Any]

    def records(self, *statuses: str) -> Iterator[dict[str, Any]]:
        """Sample records with the given statuses (all when none given), streamed line by line."""
        for status in statuses or tuple(STATUS_FILES):
            file = self.path / STATUS_FILES[status]
            if not file.exists():
                continue
            with file.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError:
                        # a line cut short by a crash mid-write: skip it rather than fail the reader
                        if handle.read(1):
                            raise UsageError(f"{file}:{number}: not a JSON line") from None

    def counts(self) -> dict[str, int]:
        """Samples per status, counted from the records themselves."""
        return {status: sum(1 for _ in self.records(status)) for status in STATUS_FILES}


def writer(path: Path) -> dict[str, Any] | None:
    """The process writing the run directory (pid, command, since), or None if none is alive."""
    try:
        body = json.loads((path / LOCK_FILE).read_text(encoding="utf-8") or "null")
        pid = int(body["pid"])
    except (OSError, ValueError, TypeError, KeyError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # it died: the kernel released its lock, the file is left over
    except PermissionError:
        pass  # alive, someone else's
    return body if isinstance(body, dict) else None


def store_counts(path: Path) -> dict[str, int] | None:
    """Samples per status as the run store says now (None without a readable store)."""
    file = path / STORE_FILE
    if not file.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            rows = dict(db.execute("SELECT status, COUNT(*) FROM samples GROUP BY status"))
        finally:
            db.close()
    except sqlite3.Error:
        return None  # damaged or foreign: the readers fall back on the manifest and records
    counts = {"planned": sum(rows.values()), **{s: rows.get(s, 0) for s in STATUS_FILES}}
    if rows.get("review"):
        counts["review"] = rows["review"]
    return counts


def _current(path: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest with counts from the store and a status that matches who is writing."""
    current = dict(manifest)
    counts = store_counts(path)
    if counts is not None:
        current["counts"] = counts
    if current.get("status") == "running" and writer(path) is None:
        current["status"] = "interrupted"  # killed before it could say so
    return current


def open_run(path: str | Path) -> RunDir:
    """Open a run directory, or say clearly why it is not one."""
    path = Path(path)
    manifest_file = path / "manifest.json"
    if not path.is_dir():
        raise UsageError(f"{path}: no such run directory")
    if not manifest_file.exists():
        raise UsageError(f"{path}: not a rolegraph run directory (no manifest.json)")
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{manifest_file}: unreadable manifest: {exc}") from None
    return RunDir(path=path, manifest=_current(path, manifest))

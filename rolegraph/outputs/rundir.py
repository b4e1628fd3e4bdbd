"""Reading a finished (or running) run directory: the one API exports, eval and reports use.

Keeping readers behind this module lets the storage underneath change (JSONL files today,
the SQLite run store as it lands) without touching every consumer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rolegraph.errors import UsageError
from rolegraph.outputs.records import STATUS_FILES


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
    return RunDir(path=path, manifest=manifest)

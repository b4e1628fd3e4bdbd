"""The per-sample environment: the state the tools read and change during one dialogue.

A run's tables (loaded once, shared by every sample) are the *base*; each sample keeps only
what its tools changed, in a JSON-safe dict stored in the sample state (`state["env"]`), so
the LangGraph checkpointer saves it after every tool step and a resumed sample continues
with the same bookings, vouchers and cached answers. A booking rebooked in turn 3 stays
rebooked in turn 7; another sample never sees it.

The dict's shape (everything in it is plain JSON):

    {"tables": {TABLE: {KEY: row | None}},   # rows this sample changed (None: deleted)
     "record": {...} | None,                  # the sample's seed record, when it has one
     "cache": {"TOOL:ARGS": result},          # simulated tools' answers, per sample
     "calls": 0}                              # tool calls made so far (the dialogue budget)

`new_environment(tables, record)` makes it: tables sourced from the record (`source:
record` or `record.FIELD` on a table tool) are copied in whole, since they belong to the
sample; file tables stay in the base until a tool changes a row.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Table:
    """A keyed table shared by a run: `rows` maps the key column's value (as text) to a row.

    `source` says where its rows come from: "file" (loaded once for the run) or "record" /
    "record.FIELD" (each sample's own record, copied into the sample's environment).
    """

    name: str
    key: str
    rows: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source: str = "file"

    @property
    def from_record(self) -> bool:
        return self.source.startswith("record")


def record_rows(table: Table, record: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The rows of a record-sourced table for one sample, keyed by the table's key column.

    `source: record` makes the record itself the table's one row; `source: record.FIELD`
    takes a list of rows (or one row) from that field of the record.
    """
    if not record:
        return {}
    _, _, fieldname = table.source.partition(".")
    value: Any = record.get(fieldname) if fieldname else record
    rows = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    return {
        str(row[table.key]): dict(row)
        for row in rows
        if isinstance(row, Mapping) and table.key in row
    }


def new_environment(
    tables: Mapping[str, Table], record: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A fresh environment for one sample (the integration point for seed records).

    Pass the sample's seed record as `record`; tables declared with `source: record...`
    are filled from it, and `record` stays readable by Python tools as `env.record`.
    """
    env: dict[str, Any] = {"tables": {}, "record": dict(record) if record else None}
    env["cache"] = {}
    env["calls"] = 0
    for name, table in tables.items():
        if table.from_record:
            env["tables"][name] = record_rows(table, record)
    return env


class Environment:
    """A view of one sample's environment over the run's base tables; writes stay per sample.

    Tools work on a copy (`Environment.begin`) and the tool node keeps its `data` only when
    the call succeeds, so a call that raises or times out changes nothing.
    """

    def __init__(self, data: Mapping[str, Any], tables: Mapping[str, Table]) -> None:
        self.data: dict[str, Any] = copy.deepcopy(dict(data))
        self.data.setdefault("tables", {})
        self.data.setdefault("cache", {})
        self._tables = tables

    @property
    def record(self) -> dict[str, Any] | None:
        """The sample's seed record (None without a seed)."""
        return self.data.get("record")

    def _table(self, name: str) -> Table:
        if name not in self._tables:
            raise KeyError(f"no table '{name}' (tables: {', '.join(sorted(self._tables))})")
        return self._tables[name]

    def get(self, table: str, key: Any) -> dict[str, Any] | None:
        """The row of `table` whose key column is `key` (None when there is none)."""
        base = self._table(table)
        changed = self.data["tables"].get(table, {})
        key = str(key)
        if key in changed:
            row = changed[key]
            return dict(row) if row is not None else None
        if base.from_record:
            return None
        row = base.rows.get(key)
        return dict(row) if row is not None else None

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of `table` as this sample sees it (base rows with its changes)."""
        base = self._table(table)
        changed = self.data["tables"].get(table, {})
        if not base.from_record:
            for key, row in base.rows.items():
                if key not in changed:
                    yield dict(row)
        for row in changed.values():
            if row is not None:
                yield dict(row)

    def find(self, table: str, **where: Any) -> list[dict[str, Any]]:
        """Rows whose columns equal every value in `where` (text compared case-insensitively)."""

        def same(a: Any, b: Any) -> bool:
            if isinstance(a, str) and isinstance(b, str):
                return a.strip().lower() == b.strip().lower()
            return a == b or str(a) == str(b)

        return [
            row
            for row in self.rows(table)
            if all(k in row and same(row[k], v) for k, v in where.items())
        ]

    def update(self, table: str, key: Any, **values: Any) -> dict[str, Any]:
        """Set columns of one row; KeyError when the row does not exist. Returns the new row."""
        row = self.get(table, key)
        if row is None:
            raise KeyError(f"no row with {self._table(table).key} = {key!r} in '{table}'")
        row.update(values)
        self.data["tables"].setdefault(table, {})[str(key)] = row
        return dict(row)

    def insert(self, table: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """Add a row (its key column must be set and new). Returns the row."""
        key_column = self._table(table).key
        if key_column not in row:
            raise KeyError(f"a row of '{table}' needs its key column '{key_column}'")
        if self.get(table, row[key_column]) is not None:
            raise KeyError(f"'{table}' already has {key_column} = {row[key_column]!r}")
        self.data["tables"].setdefault(table, {})[str(row[key_column])] = dict(row)
        return dict(row)

    def delete(self, table: str, key: Any) -> None:
        """Remove a row for the rest of this sample."""
        if self.get(table, key) is None:
            raise KeyError(f"no row with {self._table(table).key} = {key!r} in '{table}'")
        self.data["tables"].setdefault(table, {})[str(key)] = None

    def value(self, path: str) -> Any:
        """A value by dotted path: `TABLE.KEY.COLUMN` or `record.FIELD`; KeyError if absent.

        Keys may contain dots only in the middle part when the table is named first:
        the first segment is the table, the last the column, the rest the key.
        """
        head, _, rest = path.partition(".")
        if head == "record":
            current: Any = self.record or {}
            for part in rest.split(".") if rest else []:
                if not isinstance(current, Mapping) or part not in current:
                    raise KeyError(path)
                current = current[part]
            return current
        key, _, column = rest.rpartition(".")
        if not key or not column:
            raise KeyError(f"{path}: give TABLE.KEY.COLUMN or record.FIELD")
        row = self.get(head, key)
        if row is None or column not in row:
            raise KeyError(path)
        return row[column]

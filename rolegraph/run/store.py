"""The run store: one SQLite database per run directory, the source of truth for a run.

It holds the plan (sample ids, seeds, personas, conditions), every attempt and verdict,
usage per role, and the final status and record of each sample. The JSONL files are
appended from it as samples finish, and reconciled with it when a run resumes, so a crash
at any moment loses nothing and duplicates nothing.

A *lazy* plan (runs over a seed, which may have millions of rows) stores only the count up
front (`meta.planned`, `meta.lazy_plan`); a sample's row is added when it is planned, as a
worker picks it up, always in index order, so the rows stored are a prefix of the plan.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rolegraph.errors import UsageError
from rolegraph.outputs.records import STATUS_FILES
from rolegraph.run.diskfaults import damaged_store

# 2: status 'review' (paused for a person) and null plans (coverage planner)
# 3: history and history_usage (earlier failures of samples run again by --retry-failed)
SCHEMA_VERSION = 3
FINAL = ("accepted", "rejected", "failed")
REVIEW = "review"  # paused for a person (critic.review_band); not final, not in any JSONL file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS samples (
    sample_id TEXT PRIMARY KEY,
    idx INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    plan TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'planned',
    error TEXT,
    record TEXT,
    revisions INTEGER NOT NULL DEFAULT 0,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS samples_status ON samples (status, idx);
CREATE INDEX IF NOT EXISTS samples_idx ON samples (idx);
CREATE TABLE IF NOT EXISTS attempts (
    sample_id TEXT NOT NULL, n INTEGER NOT NULL, turns TEXT NOT NULL, verdict TEXT NOT NULL,
    PRIMARY KEY (sample_id, n)
);
CREATE TABLE IF NOT EXISTS usage (
    sample_id TEXT NOT NULL, role TEXT NOT NULL, model TEXT NOT NULL,
    calls INTEGER NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
    total_tokens INTEGER NOT NULL, cost REAL NOT NULL,
    PRIMARY KEY (sample_id, role)
);
CREATE TABLE IF NOT EXISTS history (
    sample_id TEXT NOT NULL, n INTEGER NOT NULL, status TEXT NOT NULL, error TEXT,
    record TEXT, finished_at REAL,
    PRIMARY KEY (sample_id, n)
);
CREATE TABLE IF NOT EXISTS history_usage (
    sample_id TEXT NOT NULL, n INTEGER NOT NULL, role TEXT NOT NULL, model TEXT NOT NULL,
    calls INTEGER NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
    total_tokens INTEGER NOT NULL, cost REAL NOT NULL,
    PRIMARY KEY (sample_id, n, role)
);
"""


class RunStore:
    """A run's SQLite database (WAL mode: readers never block the writer)."""

    FILE = "run.sqlite"

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.path = out_dir / self.FILE
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # durable across crashes in WAL mode
            # a truncated or overwritten store is refused here, in one line, not mid-run
            check = self.db.execute("PRAGMA quick_check(1)").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed: {check}")
            self.db.executescript(_SCHEMA)
            version = self.meta("schema_version")
        except sqlite3.DatabaseError as exc:
            self.db.close()
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise UsageError(damaged_store(self.path, str(exc))) from None
            raise
        if version is None or int(version) < SCHEMA_VERSION:  # older stores gain empty tables
            self.set_meta(schema_version=str(SCHEMA_VERSION))
        elif int(version) > SCHEMA_VERSION:
            raise UsageError(
                f"{self.path} was written by a newer rolegraph (store schema {version}); upgrade rolegraph"
            )

    # -- meta -----------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, **values: str) -> None:
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(values.items()))

    # -- plan -----------------------------------------------------------------------------
    def add_plan(self, plans: Iterable[tuple[str, int, int, dict[str, Any]]], **meta: str) -> None:
        """Record the planned samples (id, index, seed, plan) and the run's meta in one transaction.

        A crash while planning leaves no plan at all, never half of one.
        """
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR IGNORE INTO samples (sample_id, idx, seed, plan) VALUES (?, ?, ?, ?)",
                ((sid, idx, seed, json.dumps(plan)) for sid, idx, seed, plan in plans),
            )
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(meta.items()))

    def set_plan(self, sample_id: str, seed: int, plan: dict[str, Any]) -> None:
        """Store the plan of a sample planned when it started (the coverage planner)."""
        self.db.execute(
            "UPDATE samples SET seed = ?, plan = ? WHERE sample_id = ?",
            (seed, json.dumps(plan), sample_id),
        )

    def add_row(self, sample_id: str, idx: int, seed: int, plan: dict[str, Any]) -> None:
        """Store the plan of a sample of a lazy plan, planned as it starts."""
        self.db.execute(
            "INSERT OR REPLACE INTO samples (sample_id, idx, seed, plan) VALUES (?, ?, ?, ?)",
            (sample_id, idx, seed, json.dumps(plan)),
        )

    def has_plan(self) -> bool:
        return self.meta("planned") is not None

    def lazy(self) -> bool:
        return self.meta("lazy_plan") == "1"

    def planned(self) -> int:
        if self.lazy():
            return int(self.meta("planned") or 0)
        return self.db.execute("SELECT COUNT(*) FROM samples").fetchone()[0]

    def pending(self) -> Iterator[int]:
        """Indexes of samples not finished yet, in order (a resumed run continues with these)."""
        cursor = self.db.execute(
            "SELECT idx FROM samples WHERE status NOT IN ('accepted', 'rejected', 'failed', 'review') "
            "ORDER BY idx"
        )
        yield from (idx for (idx,) in cursor.fetchall())
        if self.lazy():  # then the samples never planned yet
            stored = {idx for (idx,) in self.db.execute("SELECT idx FROM samples")}
            top = max(stored, default=-1)
            yield from (i for i in range(top + 1) if i not in stored)
            yield from range(top + 1, self.planned())

    def pending_count(self) -> int:
        """How many samples `pending` yields."""
        finished = self.db.execute(
            "SELECT COUNT(*) FROM samples WHERE status IN ('accepted', 'rejected', 'failed', 'review')"
        ).fetchone()[0]
        return self.planned() - finished

    # -- results --------------------------------------------------------------------------
    def finish(
        self,
        sample_id: str,
        status: str,
        record: dict[str, Any],
        usage: list[tuple[str, str, dict[str, int], float]],
    ) -> None:
        """Store a finished sample with its attempts and usage, in one transaction."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "UPDATE samples SET status = ?, error = ?, record = ?, revisions = ?, finished_at = ? WHERE sample_id = ?",
                (
                    status,
                    record.get("error"),
                    json.dumps(record, ensure_ascii=False),
                    record.get("revisions", 0),
                    time.time(),
                    sample_id,
                ),
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO attempts VALUES (?, ?, ?, ?)",
                [
                    (sample_id, n, json.dumps(a["turns"]), json.dumps(a["verdict"]))
                    for n, a in enumerate(record.get("attempts") or [])
                ],
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        sample_id,
                        role,
                        model,
                        u.get("calls", 0),
                        u.get("input_tokens", 0),
                        u.get("output_tokens", 0),
                        u.get("total_tokens", 0),
                        cost,
                    )
                    for role, model, u, cost in usage
                ],
            )

    def retry_failed(self) -> list[str]:
        """Make every failed sample pending again, keeping its failure in its history.

        The failure (error, record, finishing time) moves to `history` and its usage to
        `history_usage`, so totals and costs still count what the failed attempt spent. One
        transaction: a crash leaves the samples either all failed or all pending.
        """
        with self.db:
            self.db.execute("BEGIN")
            ids = [
                sid
                for (sid,) in self.db.execute(
                    "SELECT sample_id FROM samples WHERE status = 'failed' ORDER BY idx"
                )
            ]
            for sid in ids:
                (n,) = self.db.execute(
                    "SELECT COUNT(*) FROM history WHERE sample_id = ?", (sid,)
                ).fetchone()
                self.db.execute(
                    "INSERT INTO history SELECT sample_id, ?, status, error, record, finished_at "
                    "FROM samples WHERE sample_id = ?",
                    (n, sid),
                )
                self.db.execute(
                    "INSERT INTO history_usage SELECT sample_id, ?, role, model, calls, "
                    "input_tokens, output_tokens, total_tokens, cost FROM usage WHERE sample_id = ?",
                    (n, sid),
                )
                self.db.execute("DELETE FROM usage WHERE sample_id = ?", (sid,))
                self.db.execute("DELETE FROM attempts WHERE sample_id = ?", (sid,))
                self.db.execute(
                    "UPDATE samples SET status = 'planned', error = NULL, record = NULL, "
                    "revisions = 0, finished_at = NULL WHERE sample_id = ?",
                    (sid,),
                )
        return ids

    def history(self, sample_id: str) -> list[dict[str, Any]]:
        """A sample's earlier outcomes, oldest first: status, error and when it finished."""
        rows = self.db.execute(
            "SELECT status, error, finished_at FROM history WHERE sample_id = ? ORDER BY n",
            (sample_id,),
        )
        return [
            {
                "status": status,
                "error": error,
                "finished_at": datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
                if at
                else None,
            }
            for status, error, at in rows
        ]

    def ids_with(self, status: str) -> set[str]:
        """Ids of the samples whose current status is `status`."""
        return {
            sid
            for (sid,) in self.db.execute(
                "SELECT sample_id FROM samples WHERE status = ?", (status,)
            )
        }

    def with_history(self) -> set[str]:
        """Ids of the samples that have earlier outcomes (were run again)."""
        return {sid for (sid,) in self.db.execute("SELECT DISTINCT sample_id FROM history")}

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) FROM samples GROUP BY status").fetchall()
        counts = dict.fromkeys(FINAL, 0)
        counts.update(dict(rows))
        waiting = {REVIEW: counts[REVIEW]} if counts.get(REVIEW) else {}  # only while some wait
        planned = self.planned() if self.lazy() else sum(n for _, n in rows)
        return {"planned": planned, **{k: counts[k] for k in FINAL}, **waiting}

    def waiting_for_review(self) -> list[str]:
        """Sample ids paused for a person, in plan order."""
        rows = self.db.execute(
            "SELECT sample_id FROM samples WHERE status = ? ORDER BY idx", (REVIEW,)
        )
        return [sid for (sid,) in rows]

    def totals(self) -> dict[str, Any]:
        """Usage and cost summed per role and per model, plus revisions."""
        per_role: dict[str, dict[str, Any]] = {}
        per_model: dict[str, dict[str, Any]] = {}
        for role, model, calls, tin, tout, total, cost in self.db.execute(
            "SELECT role, model, SUM(calls), SUM(input_tokens), SUM(output_tokens), "
            "SUM(total_tokens), SUM(cost) FROM (SELECT role, model, calls, input_tokens, "
            "output_tokens, total_tokens, cost FROM usage UNION ALL SELECT role, model, calls, "
            "input_tokens, output_tokens, total_tokens, cost FROM history_usage) "
            "GROUP BY role, model"
        ):
            for key, table in ((role, per_role), (model, per_model)):
                slot = table.setdefault(
                    key,
                    {
                        "calls": 0,
                        "input_tokens": 0,
                        "output_tokens": 0,
                        "total_tokens": 0,
                        "cost_usd": 0.0,
                    },
                )
                slot["calls"] += calls
                slot["input_tokens"] += tin
                slot["output_tokens"] += tout
                slot["total_tokens"] += total
                slot["cost_usd"] = round(slot["cost_usd"] + cost, 6)
        revisions = self.db.execute("SELECT COALESCE(SUM(revisions), 0) FROM samples").fetchone()[0]
        cost = round(sum(v["cost_usd"] for v in per_role.values()), 6)
        return {
            "usage": per_role,
            "usage_by_model": per_model,
            "revisions": revisions,
            "cost_usd": cost,
        }

    def finished_records(self, status: str) -> Iterator[tuple[str, str]]:
        """(sample_id, record JSON) of finished samples with `status`, in finishing order."""
        yield from self.db.execute(
            "SELECT sample_id, record FROM samples WHERE status = ? ORDER BY finished_at, idx",
            (status,),
        )

    def close(self) -> None:
        self.db.close()


def reconcile_files(store: RunStore) -> int:
    """Make each JSONL file hold exactly the samples whose current status it names, once each.

    A crash can cut the last line short or fall between the store's commit and the append:
    the cut line is trimmed and missing samples are appended. A line whose sample now has
    another status (a failed sample run again with --retry-failed) or that repeats an
    earlier line is dropped: the file is then rewritten from its own kept lines, in order,
    through a temporary file, so a crash mid-rewrite leaves the old file whole. Returns the
    number of lines appended or dropped.
    """
    changed = 0
    for status, name in STATUS_FILES.items():
        file = store.out_dir / name
        wanted = store.ids_with(status)
        present: set[str] = set()
        kept: list[str] = []
        foreign = False
        if file.exists():
            _trim_partial_line(file)
            with file.open(encoding="utf-8") as handle:
                for line in handle:
                    sid = json.loads(line)["sample_id"]
                    if sid in wanted and sid not in present:
                        present.add(sid)
                        kept.append(line)
                    else:
                        foreign = True
                        changed += 1
        missing = (rec for sid, rec in store.finished_records(status) if sid not in present)
        appended = 0
        if foreign:
            tmp = file.with_name(file.name + ".tmp")
            with tmp.open("w", encoding="utf-8") as handle:
                handle.writelines(kept)
                for record in missing:
                    handle.write(record + "\n")
                    appended += 1
            tmp.replace(file)
        elif len(present) < len(wanted):
            with file.open("a", encoding="utf-8") as handle:
                for record in missing:
                    handle.write(record + "\n")
                    appended += 1
        changed += appended
    return changed


def _trim_partial_line(file: Path) -> None:
    data = file.read_bytes()
    if data and not data.endswith(b"\n"):
        with file.open("r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)

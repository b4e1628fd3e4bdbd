"""LangGraph's SQLite checkpointer with its writes batched: one transaction every few ms.

`AsyncSqliteSaver` pays a thread hop and a commit for every `aput` and `aput_writes`,
about 1.4 ms CPU per graph step. `BatchedSqliteSaver` keeps its tables, file format and
read code, but `aput`, `aput_writes` and `adelete_thread` only serialize (in the event
loop, as the parent does) and queue rows. A flush writes everything queued in one
transaction (one `executemany` per statement, one commit): `interval` seconds after the
first queued row, at once when a read or `aclose` needs it, and with back-pressure when
more than `max_pending_bytes` wait.

Reads see the caller's own writes. `aget_tuple` answers from the queue when it can: for
a thread with nothing on disk (every sample this saver started), and for a checkpoint that
is queued and newer than any on disk (a sample's final state, read right after its run).
Otherwise, and for every listing, the thread's queued rows are flushed first and the
parent reads the disk. So a sample written and deleted between two flushes never touches
the disk, which makes LangGraph's durability "exit" almost free.

Crash semantics: a SIGKILL (or power loss) loses the rows queued since the last commit,
at most `interval` seconds of steps plus the commit in flight. Batches commit whole and in
order, so the file always holds an earlier consistent state, and a resumed sample continues
from its newest checkpoint there. When a step takes longer than `interval` (any step that
calls a model does) that is at most the sample's last step, done again.

The saver must be the only writer of its file (rolegraph gives each executor its own): it
reads what is on disk once, at setup, and keeps track from then on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import aiosqlite
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
    SerializerProtocol,
    get_checkpoint_id,
    get_checkpoint_metadata,
)
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.checkpoint.sqlite.utils import load_pending_writes

from agents.errors import RolegraphError

# 25 ms: a step that waits on a model takes far longer, so a crash costs each sample at most
# its last step; at the rates where CPU matters (hundreds of steps/s) a flush carries dozens
# of steps, and its ~0.6 ms of thread hops and commit shrink to tens of µs per step.
INTERVAL = 0.025
MAX_PENDING_BYTES = 8 * 2**20

_PUT_CHECKPOINT = (
    "INSERT OR REPLACE INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, "
    "parent_checkpoint_id, type, checkpoint, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_PUT_WRITE = (
    "INSERT OR {} INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, "
    "idx, channel, type, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

# rows as the tables hold them, in _PUT_CHECKPOINT's and _PUT_WRITE's column order
CheckpointRow = tuple[str, str, str, str | None, str, bytes, bytes]
WriteRow = tuple[str, str, str, str, str, int, str, str, bytes]


class CheckpointWriteError(RolegraphError):
    """Checkpoints could not be written; a resumed run continues from what is on disk."""


@dataclass
class _Rows:
    """One thread's rows waiting for a flush, keyed by the tables' primary keys."""

    checkpoints: dict[tuple[str, str], CheckpointRow] = field(default_factory=dict)
    # (row, replace): the parent writes special channels (errors, interrupts) with INSERT OR
    # REPLACE and the others with INSERT OR IGNORE, so a first write of a key wins
    writes: dict[tuple[str, str, str, int], tuple[WriteRow, bool]] = field(default_factory=dict)
    size: int = 0


class BatchedSqliteSaver(AsyncSqliteSaver):
    """`AsyncSqliteSaver` whose writes are queued and committed in batches (see module doc).

    Use `from_conn_string` (its exit flushes), or call `aclose()` before closing `conn`.
    """

    def __init__(
        self,
        conn: aiosqlite.Connection,
        *,
        serde: SerializerProtocol | None = None,
        interval: float = INTERVAL,
        max_pending_bytes: int = MAX_PENDING_BYTES,
    ) -> None:
        super().__init__(conn, serde=serde)
        self.interval = interval
        self.max_pending_bytes = max_pending_bytes
        self.flushes = 0  # transactions committed
        self._pending: dict[str, _Rows] = {}  # thread id -> rows
        self._deletes: set[str] = set()  # applied before _pending's rows
        self._pending_bytes = 0
        self._inflight: dict[str, _Rows] = {}  # the batch being written
        self._inflight_deletes: set[str] = set()
        # what the disk holds, kept up to date by each commit: the threads with rows, the
        # newest checkpoint id per thread and namespace, and writes committed before the
        # checkpoint they belong to (thread, ns, checkpoint id)
        self._on_disk: set[str] = set()
        self._newest: dict[str, dict[str, str]] = {}
        self._early_writes: set[tuple[str, str, str]] = set()
        self._scanned = False
        self._timer: asyncio.TimerHandle | None = None
        self._queued: asyncio.Task[None] | None = None  # a flush that has not taken its batch
        self._tasks: set[asyncio.Task[None]] = set()
        self._failure: BaseException | None = None
        self._closed = False

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls,
        conn_string: str,
        *,
        interval: float = INTERVAL,
        max_pending_bytes: int = MAX_PENDING_BYTES,
    ) -> AsyncIterator[BatchedSqliteSaver]:
        """A saver on the SQLite file `conn_string`; everything queued is written on exit."""
        async with aiosqlite.connect(conn_string) as conn:
            saver = cls(conn, interval=interval, max_pending_bytes=max_pending_bytes)
            try:
                yield saver
            finally:
                await saver.aclose()

    async def aclose(self) -> None:
        """Write everything queued and refuse further writes; raises if any flush failed."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await self._flush_now()

    async def setup(self) -> None:
        """The parent's tables, then what is already on disk (once)."""
        if self._scanned:
            return
        await super().setup()
        async with self.lock:
            if self._scanned:
                return
            async with self.conn.execute(
                "SELECT thread_id, checkpoint_ns, MAX(checkpoint_id) FROM checkpoints "
                "GROUP BY thread_id, checkpoint_ns"
            ) as cur:
                for thread_id, checkpoint_ns, newest in await cur.fetchall():
                    self._newest.setdefault(thread_id, {})[checkpoint_ns] = newest
            async with self.conn.execute(
                "SELECT DISTINCT w.thread_id, w.checkpoint_ns, w.checkpoint_id FROM writes w "
                "LEFT JOIN checkpoints c USING (thread_id, checkpoint_ns, checkpoint_id) "
                "WHERE c.checkpoint_id IS NULL"
            ) as cur:
                self._early_writes.update(await cur.fetchall())
            async with self.conn.execute("SELECT DISTINCT thread_id FROM writes") as cur:
                self._on_disk.update(row[0] for row in await cur.fetchall())
            self._on_disk.update(self._newest)
            self._scanned = True

    # writes: serialize and queue

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Queue a checkpoint; returns its config at once, as if it were written."""
        await self.setup()
        self._check(writing=True)
        thread_id = config["configurable"]["thread_id"]
        checkpoint_ns = config["configurable"]["checkpoint_ns"]
        type_, blob = self.serde.dumps_typed(checkpoint)
        meta = json.dumps(get_checkpoint_metadata(config, metadata), ensure_ascii=False).encode(
            "utf-8", "ignore"
        )
        rows = self._rows(str(thread_id))
        rows.checkpoints[(checkpoint_ns, checkpoint["id"])] = (
            str(thread_id),
            checkpoint_ns,
            checkpoint["id"],
            config["configurable"].get("checkpoint_id"),
            type_,
            blob,
            meta,
        )
        await self._queued_bytes(rows, len(blob) + len(meta))
        return {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": checkpoint_ns,
                "checkpoint_id": checkpoint["id"],
            }
        }

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Queue a task's writes against the checkpoint in `config`."""
        await self.setup()
        self._check(writing=True)
        if not writes:
            return
        thread_id = str(config["configurable"]["thread_id"])
        checkpoint_ns = str(config["configurable"]["checkpoint_ns"])
        checkpoint_id = str(config["configurable"]["checkpoint_id"])
        replace = all(channel in WRITES_IDX_MAP for channel, _ in writes)
        rows = self._rows(thread_id)
        size = 0
        for i, (channel, value) in enumerate(writes):
            idx = WRITES_IDX_MAP.get(channel, i)
            key = (checkpoint_ns, checkpoint_id, task_id, idx)
            if replace or key not in rows.writes:
                type_, blob = self.serde.dumps_typed(value)
                row = (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel)
                rows.writes[key] = ((*row, type_, blob), replace)
                size += len(blob)
        await self._queued_bytes(rows, size)

    async def adelete_thread(self, thread_id: str) -> None:
        """Drop the thread's queued rows, and queue a delete only if it has rows on disk."""
        await self.setup()
        self._check(writing=True)
        thread_id = str(thread_id)
        if rows := self._pending.pop(thread_id, None):
            self._pending_bytes -= rows.size
        if thread_id in self._on_disk or thread_id in self._inflight:
            self._deletes.add(thread_id)
            await self._queued_bytes(None, 0)

    def _rows(self, thread_id: str) -> _Rows:
        rows = self._pending.get(thread_id)
        if rows is None:
            rows = self._pending[thread_id] = _Rows()
        return rows

    async def _queued_bytes(self, rows: _Rows | None, size: int) -> None:
        if rows is not None:
            rows.size += size
        self._pending_bytes += size
        if self._pending_bytes >= self.max_pending_bytes:
            await self._flush_now()  # back-pressure: the disk is slower than the graphs
        elif self._timer is None and self._queued is None:
            self._timer = self.loop.call_later(self.interval, self._on_timer)

    # reads: from the queue when it holds the whole answer, else flush and read the disk

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint in `config` (the thread's newest without a checkpoint id)."""
        await self.setup()
        self._check()
        thread_id = str(config["configurable"]["thread_id"])
        answered, found = self._from_queue(config, thread_id)
        if answered:
            return found
        if self._dirty(thread_id):
            await self._flush_now()
        return await super().aget_tuple(config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """The parent's listing, after a flush if it could include queued rows."""
        await self.setup()
        self._check()
        if self._dirty(None if config is None else str(config["configurable"]["thread_id"])):
            await self._flush_now()
        async for item in super().alist(config, filter=filter, before=before, limit=limit):
            yield item

    async def aget_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """The parent's fast path on disk; LangGraph's generic walk over `aget_tuple` in memory."""
        await self.setup()
        self._check()
        thread_id = str(config["configurable"]["thread_id"])
        if self._whole(thread_id):
            return await BaseCheckpointSaver.aget_delta_channel_history(
                self, config=config, channels=channels
            )
        if self._dirty(thread_id):
            await self._flush_now()
        return await super().aget_delta_channel_history(config=config, channels=channels)

    def _dirty(self, thread_id: str | None) -> bool:
        """Whether rows of the thread (of any thread, for None) wait to be committed."""
        if thread_id is None:
            return bool(self._pending or self._deletes or self._inflight or self._inflight_deletes)
        return (
            thread_id in self._pending
            or thread_id in self._deletes
            or thread_id in self._inflight
            or thread_id in self._inflight_deletes
        )

    def _whole(self, thread_id: str) -> bool:
        """Whether the queue alone holds the thread: nothing on disk, or a delete hides it."""
        return (
            thread_id not in self._on_disk
            or thread_id in self._deletes
            or thread_id in self._inflight_deletes
        )

    def _from_queue(
        self, config: RunnableConfig, thread_id: str
    ) -> tuple[bool, CheckpointTuple | None]:
        """`AsyncSqliteSaver.aget_tuple` over the queued rows: (answered, what it would return).

        Answered when the queue holds the whole thread, or the checkpoint asked for is
        queued, newer than any on disk, and has no writes on disk.
        """
        layers = [self._pending[thread_id]] if thread_id in self._pending else []
        if thread_id in self._inflight and thread_id not in self._deletes:
            layers.insert(0, self._inflight[thread_id])  # older than the queue
        checkpoint_ns = config["configurable"].get("checkpoint_ns", "")
        checkpoints: dict[tuple[str, str], CheckpointRow] = {}
        for layer in layers:
            checkpoints.update(layer.checkpoints)
        if checkpoint_id := get_checkpoint_id(config):
            row = checkpoints.get((checkpoint_ns, checkpoint_id))
        else:
            ours = [row for (ns, _), row in checkpoints.items() if ns == checkpoint_ns]
            row = max(ours, key=lambda r: r[2], default=None)
        if not self._whole(thread_id) and (
            row is None
            or row[2] <= self._newest.get(thread_id, {}).get(checkpoint_ns, "")
            or (thread_id, checkpoint_ns, row[2]) in self._early_writes
        ):
            return False, None
        if row is None:
            return True, None
        stored_thread_id, _, checkpoint_id, parent_id, type_, blob, metadata = row
        if not get_checkpoint_id(config):
            config = {
                "configurable": {
                    "thread_id": stored_thread_id,
                    "checkpoint_ns": checkpoint_ns,
                    "checkpoint_id": checkpoint_id,
                }
            }
        writes: dict[tuple[str, str, str, int], WriteRow] = {}
        for layer in layers:
            for key, (write, replace) in layer.writes.items():
                if key[:2] == (checkpoint_ns, checkpoint_id) and (replace or key not in writes):
                    writes[key] = write
        parent_config: RunnableConfig | None = None
        if parent_id:
            parent_config = {
                "configurable": {
                    "thread_id": stored_thread_id,
                    "checkpoint_ns": checkpoint_ns,
                    "checkpoint_id": parent_id,
                }
            }
        return True, CheckpointTuple(
            config,
            self.serde.loads_typed((type_, blob)),
            cast(CheckpointMetadata, json.loads(metadata)),
            parent_config,
            load_pending_writes(  # in pending_writes_sql's column order
                [(w[3], w[6], w[7], w[8], w[4], w[5]) for w in writes.values()], self.serde
            ),
        )

    # flushing

    def _on_timer(self) -> None:
        self._timer = None
        self._request_flush()

    def _request_flush(self) -> asyncio.Task[None]:
        """A flush that will take every row queued by now (the one already waiting, if any)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._queued is None:
            task = self._queued = self.loop.create_task(self._flush())
            self._tasks.add(task)  # the loop keeps only weak references to tasks
            task.add_done_callback(self._flush_done)
        return self._queued

    def _flush_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._queued is task:  # cancelled before it took its batch
            self._queued = None

    async def _flush_now(self) -> None:
        """Commit every row queued by now, then raise if a flush failed.

        The flush runs in a task of its own: a caller that is cancelled while waiting
        cannot cut a transaction short.
        """
        if self._dirty(None) or self._queued is not None:
            await asyncio.shield(self._request_flush())
        self._check()

    async def _flush(self) -> None:
        """Write the queue in one transaction; a failure is kept and raised by later calls."""
        async with self.lock:
            self._queued = None
            if self._failure is not None or not (self._pending or self._deletes):
                return
            batch, deletes = self._pending, self._deletes
            self._inflight, self._inflight_deletes = batch, deletes
            self._pending, self._deletes, self._pending_bytes = {}, set(), 0
            try:
                await self._write(batch, deletes)
            except Exception as exc:
                self._failure = exc  # every later call raises it (see _check)
                try:
                    await self.conn.rollback()
                except Exception as rollback_exc:  # the first error is the one to report
                    exc.add_note(f"the rollback failed too: {rollback_exc!r}")
            except BaseException as exc:  # cancelled mid-transaction: the batch is lost
                self._failure = exc
                raise
            else:
                self.flushes += 1
                self._committed(batch, deletes)
            finally:
                self._inflight, self._inflight_deletes = {}, set()

    def _committed(self, batch: dict[str, _Rows], deletes: set[str]) -> None:
        """Keep track of what the disk holds now."""
        self._on_disk -= deletes
        for thread_id in deletes:
            self._newest.pop(thread_id, None)
        if deletes:
            self._early_writes = {w for w in self._early_writes if w[0] not in deletes}
        self._on_disk.update(batch)
        for thread_id, rows in batch.items():
            newest = self._newest.setdefault(thread_id, {})
            for ns, checkpoint_id in rows.checkpoints:
                newest[ns] = max(newest.get(ns, ""), checkpoint_id)
                self._early_writes.discard((thread_id, ns, checkpoint_id))
            for ns, checkpoint_id, _, _ in rows.writes:
                if checkpoint_id > newest.get(ns, ""):
                    self._early_writes.add((thread_id, ns, checkpoint_id))

    async def _write(self, batch: dict[str, _Rows], deletes: set[str]) -> None:
        checkpoints = [row for rows in batch.values() for row in rows.checkpoints.values()]
        writes: dict[bool, list[WriteRow]] = {True: [], False: []}
        for rows in batch.values():
            for write, replace in rows.writes.values():
                writes[replace].append(write)
        async with self.conn.cursor() as cur:
            if deletes:  # before the inserts: a thread's queued rows all came after its delete
                threads = [(thread_id,) for thread_id in deletes]
                await cur.executemany("DELETE FROM checkpoints WHERE thread_id = ?", threads)
                await cur.executemany("DELETE FROM writes WHERE thread_id = ?", threads)
            if checkpoints:
                await cur.executemany(_PUT_CHECKPOINT, checkpoints)
            for replace, rows in writes.items():
                if rows:
                    await cur.executemany(
                        _PUT_WRITE.format("REPLACE" if replace else "IGNORE"), rows
                    )
        await self.conn.commit()

    def _check(self, *, writing: bool = False) -> None:
        if self._failure is not None:
            exc = self._failure
            raise CheckpointWriteError(
                f"writing checkpoints failed ({type(exc).__name__}: {exc}); the steps since "
                "the last good write are lost, and a resumed run does them again"
            ) from exc
        if writing and self._closed:
            raise CheckpointWriteError("the checkpoint saver is closed; it takes no more writes")


__all__ = ["BatchedSqliteSaver", "CheckpointWriteError"]

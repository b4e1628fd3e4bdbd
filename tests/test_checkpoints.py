"""Batched SQLite checkpoints: the plain saver's data, reads that see the queue, crashes that resume."""

from __future__ import annotations

import asyncio
import operator
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple, empty_checkpoint
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from rolegraph.run.checkpoints import BatchedSqliteSaver, CheckpointWriteError
from tests.conftest import ROOT

STEPS = 8
NEVER = 3600.0  # a flush interval no test reaches: only reads and close flush


class Dialogue(TypedDict):
    turns: Annotated[list[dict[str, Any]], operator.add]
    n: int


def turn(n: int) -> dict[str, Any]:
    return {"speaker": ("agent", "customer")[n % 2], "text": f"turn {n}: " + "word " * 40}


def dialogue_graph(
    saver: BaseCheckpointSaver, calls: list[int] | None = None, pause: float = 0.0
) -> Any:
    """One turn per step for STEPS steps; `calls` records each step's n; `pause` s per step."""

    async def speak(state: Dialogue) -> dict[str, Any]:
        if calls is not None:
            calls.append(state["n"])
        if pause:
            await asyncio.sleep(pause)
        return {"turns": [turn(state["n"])], "n": state["n"] + 1}

    builder = StateGraph(Dialogue)
    builder.add_node("speak", speak)
    builder.add_edge(START, "speak")
    builder.add_conditional_edges("speak", lambda s: "speak" if s["n"] < STEPS else END)
    return builder.compile(checkpointer=saver)


def review_graph(saver: BaseCheckpointSaver) -> Any:
    """Two turns, a pause for a person (interrupt), a last turn with the decision."""

    def draft(state: Dialogue) -> dict[str, Any]:
        return {"turns": [turn(0), turn(1)], "n": 2}

    def review(state: Dialogue) -> dict[str, Any]:
        decision = interrupt({"turns": len(state["turns"])})
        return {"turns": [{"speaker": "reviewer", "text": decision}], "n": state["n"] + 1}

    builder = StateGraph(Dialogue)
    builder.add_node("draft", draft)
    builder.add_node("review", review)
    builder.add_edge(START, "draft")
    builder.add_edge("draft", "review")
    builder.add_edge("review", END)
    return builder.compile(checkpointer=saver)


def config(thread_id: str) -> Any:
    return {"configurable": {"thread_id": thread_id}}


def start() -> Dialogue:
    return {"turns": [], "n": 0}


def rows(path: Path) -> tuple[int, int]:
    """(checkpoints, writes) rows in the file, read with the standard library."""
    with closing(sqlite3.connect(path)) as db:
        return (
            db.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0],
            db.execute("SELECT COUNT(*) FROM writes").fetchone()[0],
        )


async def history(saver: BaseCheckpointSaver, graph_of: Any, thread_id: str) -> list[Any]:
    """A thread's history without its ids and times: what must not depend on the saver."""
    graph = graph_of(saver)
    return [
        (
            s.values,
            s.next,
            s.metadata["step"] if s.metadata else None,
            s.metadata["source"] if s.metadata else None,
            [(t.name, t.interrupts and t.interrupts[0].value) for t in s.tasks],
            s.parent_config is None,
        )
        async for s in graph.aget_state_history(config(thread_id))
    ]


def table_rows(path: Path) -> list[Any]:
    """Both tables, ids left out: checkpoint steps per thread, writes by channel and value."""
    with closing(sqlite3.connect(path)) as db:
        checkpoints = db.execute(
            "SELECT thread_id, checkpoint_ns, parent_checkpoint_id IS NULL, type, metadata "
            "FROM checkpoints ORDER BY thread_id, checkpoint_id"
        ).fetchall()
        writes = db.execute(  # an interrupt's value holds its id: left out
            "SELECT thread_id, checkpoint_ns, task_path, idx, channel, type, "
            "IIF(channel = '__interrupt__', NULL, value) FROM writes "
            "ORDER BY thread_id, checkpoint_ns, channel, idx, value"
        ).fetchall()
    return [checkpoints, writes]


async def run_samples(graph: Any, n: int, durability: str = "async") -> list[Any]:
    return await asyncio.gather(
        *(graph.ainvoke(start(), config(f"s{i}"), durability=durability) for i in range(n))
    )


async def test_same_checkpoints_and_history_as_the_plain_saver(tmp_path: Path):
    plain, batched = tmp_path / "plain.sqlite", tmp_path / "batched.sqlite"
    async with AsyncSqliteSaver.from_conn_string(str(plain)) as saver:
        expected = await run_samples(dialogue_graph(saver), 3)
        await review_graph(saver).ainvoke(start(), config("r"))
        await review_graph(saver).ainvoke(Command(resume="ok"), config("r"))
    async with BatchedSqliteSaver.from_conn_string(str(batched)) as saver:
        got = await run_samples(dialogue_graph(saver), 3)
        await review_graph(saver).ainvoke(start(), config("r"))
        await review_graph(saver).ainvoke(Command(resume="ok"), config("r"))
    assert got == expected and got[0]["turns"] == [turn(n) for n in range(STEPS)]
    assert table_rows(batched) == table_rows(plain)
    # each file, read back by the plain saver, gives the same history
    for thread_id, graph_of in [
        ("s0", dialogue_graph),
        ("s2", dialogue_graph),
        ("r", review_graph),
    ]:
        async with AsyncSqliteSaver.from_conn_string(str(plain)) as saver:
            want = await history(saver, graph_of, thread_id)
        async with AsyncSqliteSaver.from_conn_string(str(batched)) as saver:
            assert await history(saver, graph_of, thread_id) == want
    assert len(want) == 4 and want[1][4] == [("review", {"turns": 2})]


async def test_the_queue_answers_as_the_disk_does(tmp_path: Path):
    async with BatchedSqliteSaver.from_conn_string(
        str(tmp_path / "c.sqlite"), interval=NEVER
    ) as saver:
        await dialogue_graph(saver).ainvoke(start(), config("d"))
        await review_graph(saver).ainvoke(start(), config("r"))  # paused: writes pending
        newest = [await saver.aget_tuple(config(t)) for t in ("d", "r")]
        walked = []
        for found in newest:  # each thread's chain of checkpoints, parent by parent
            while found is not None:
                walked.append(found)
                parent = found.parent_config
                found = await saver.aget_tuple(parent) if parent else None
        assert saver.flushes == 0 and len(walked) == STEPS + 2 + 3
        assert newest[1] is not None and [w[1] for w in newest[1].pending_writes] == [
            "__interrupt__"
        ]
        assert len([c async for c in saver.alist(None)]) == len(walked)  # a flush
        assert saver.flushes == 1
        for found in walked:  # now the parent's code reads the disk
            assert await saver.aget_tuple(found.config) == found
        assert [await saver.aget_tuple(config(t)) for t in ("d", "r")] == newest


async def test_reads_see_queued_writes(tmp_path: Path):
    path = tmp_path / "c.sqlite"
    async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        await dialogue_graph(saver).ainvoke(start(), config("reference"))
        plain_history = await history(saver, dialogue_graph, "reference")
        await dialogue_graph(saver).ainvoke(start(), config("old"))  # on disk before
        old_end = (await dialogue_graph(saver).aget_state(config("old"))).config
    on_disk = rows(path)
    async with BatchedSqliteSaver.from_conn_string(str(path), interval=NEVER) as saver:
        graph = dialogue_graph(saver)
        final = await graph.ainvoke(start(), config("new"))
        state = await graph.aget_state(config("new"))
        assert state.values == final and final["n"] == STEPS and state.next == ()
        assert rows(path) == on_disk and saver.flushes == 0  # read from the queue
        # a listing is read from disk, after a flush
        assert await history(saver, dialogue_graph, "new") == plain_history
        assert saver.flushes == 1 and rows(path)[0] == on_disk[0] + STEPS + 2
        # a thread on disk, continued: its newest checkpoint is queued and read from the queue
        await graph.ainvoke({"turns": [turn(99)], "n": STEPS - 1}, config("old"))
        assert len((await graph.aget_state(config("old"))).values["turns"]) == STEPS + 2
        assert saver.flushes == 1
        # ...an older one is on disk: the thread is flushed, then read from disk
        older = await graph.aget_state(old_end)
        assert older.values["n"] == STEPS and older.config == old_end
        assert saver.flushes == 2 and rows(path)[0] == on_disk[0] + STEPS + 5
        # listing every thread (the Ray executor does) includes the queued ones
        await graph.ainvoke(start(), config("newer"))
        threads = {c.config["configurable"]["thread_id"] async for c in saver.alist(None)}
        assert threads == {"reference", "old", "new", "newer"} and saver.flushes == 3
        # the parent's synchronous bridge: refused from the loop's thread, fine from another
        with pytest.raises(asyncio.InvalidStateError):
            saver.get_tuple(config("new"))
        await graph.ainvoke(start(), config("newest"))
        got = await asyncio.to_thread(saver.get_tuple, config("newest"))
        assert got is not None and got.checkpoint["channel_values"]["n"] == STEPS


async def test_writes_committed_before_their_checkpoint_are_read_from_disk(tmp_path: Path):
    """LangGraph may put a step's writes before its checkpoint; a flush can fall in between."""
    thread: Any = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    first, second = empty_checkpoint(), empty_checkpoint()
    at_first = {"configurable": {**thread["configurable"], "checkpoint_id": first["id"]}}
    at_second = {"configurable": {**thread["configurable"], "checkpoint_id": second["id"]}}

    async def start_with_an_early_write(saver: BatchedSqliteSaver) -> None:
        await saver.aput(thread, first, {"step": 0}, {})
        await saver.aput_writes(at_second, [("n", 1)], "task-1")

    async def finish_and_read(saver: BatchedSqliteSaver) -> CheckpointTuple | None:
        await saver.aput(at_first, second, {"step": 1}, {})
        await saver.aput_writes(at_second, [("n", 2)], "task-2")
        return await saver.aget_tuple(thread)

    # the saver learns of the early write from its own flush...
    path = tmp_path / "one.sqlite"
    async with BatchedSqliteSaver.from_conn_string(str(path), interval=NEVER) as saver:
        await start_with_an_early_write(saver)
        assert len([c async for c in saver.alist(None)]) == 1  # a flush
        assert rows(path) == (1, 1)  # the write is on disk, its checkpoint is not
        got = await finish_and_read(saver)
        assert saver.flushes == 2  # the read flushed first
    # ...or from the file, when it opens
    path = tmp_path / "two.sqlite"
    async with BatchedSqliteSaver.from_conn_string(str(path), interval=NEVER) as saver:
        await start_with_an_early_write(saver)
    assert rows(path) == (1, 1)
    async with BatchedSqliteSaver.from_conn_string(str(path), interval=NEVER) as saver:
        reopened = await finish_and_read(saver)
        assert saver.flushes == 1
    for found in (got, reopened):
        assert found is not None and found.config["configurable"]["checkpoint_id"] == second["id"]
        assert found.pending_writes == [("task-1", "n", 1), ("task-2", "n", 2)]


async def test_interrupts_and_resume_from_the_queue(tmp_path: Path):
    async with BatchedSqliteSaver.from_conn_string(
        str(tmp_path / "c.sqlite"), interval=NEVER
    ) as saver:
        graph = review_graph(saver)
        await graph.ainvoke(start(), config("r"))
        waiting = await graph.aget_state(config("r"))
        assert [i.value for i in waiting.interrupts] == [{"turns": 2}]
        assert waiting.next == ("review",)
        final = await graph.ainvoke(Command(resume="approved"), config("r"))
        assert final["turns"][-1] == {"speaker": "reviewer", "text": "approved"}
        assert (await graph.aget_state(config("r"))).interrupts == ()
        assert saver.flushes == 0


@pytest.mark.parametrize("durability", ["async", "exit"])
async def test_a_sample_deleted_before_a_flush_never_touches_the_disk(
    tmp_path: Path, durability: str
):
    path = tmp_path / "c.sqlite"
    async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        await dialogue_graph(saver).ainvoke(start(), config("old"))
    async with BatchedSqliteSaver.from_conn_string(str(path), interval=NEVER) as saver:
        graph = dialogue_graph(saver)
        for final in await run_samples(graph, 5, durability):
            assert final["n"] == STEPS
        for i in range(5):  # as the runner does: read the outcome, record it, forget it
            assert (await graph.aget_state(config(f"s{i}"))).values["n"] == STEPS
            await saver.adelete_thread(f"s{i}")
            assert (await graph.aget_state(config(f"s{i}"))).values == {}
        assert saver.flushes == 0
        await saver.adelete_thread("old")  # on disk: deleted at the next flush
        assert (await graph.aget_state(config("old"))).values == {}
        assert rows(path)[0] == STEPS + 2
    assert saver.flushes == 1 and rows(path) == (0, 0)


async def test_close_writes_everything_in_one_transaction(tmp_path: Path):
    plain, batched = tmp_path / "plain.sqlite", tmp_path / "batched.sqlite"
    async with AsyncSqliteSaver.from_conn_string(str(plain)) as saver:
        await run_samples(dialogue_graph(saver), 20)
    async with BatchedSqliteSaver.from_conn_string(str(batched), interval=NEVER) as saver:
        await run_samples(dialogue_graph(saver), 20)
        assert rows(batched) == (0, 0)
    assert saver.flushes == 1
    assert rows(batched) == rows(plain) and rows(plain)[0] == 20 * (STEPS + 2)
    at: Any = {"configurable": {"thread_id": "s0", "checkpoint_ns": "", "checkpoint_id": "1"}}
    with pytest.raises(CheckpointWriteError, match="closed"):  # never queued and lost
        await saver.aput_writes(at, [("n", 1)], "task")


async def test_the_timer_flushes_without_being_asked(tmp_path: Path):
    path = tmp_path / "c.sqlite"
    async with BatchedSqliteSaver.from_conn_string(str(path), interval=0.02) as saver:
        await run_samples(dialogue_graph(saver), 4)
        deadline = time.monotonic() + 5
        while rows(path)[0] < 4 * (STEPS + 2) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert rows(path)[0] == 4 * (STEPS + 2)
        assert 1 <= saver.flushes <= 4 * STEPS  # batched: fewer transactions than steps


def child(path: str, marker: str) -> None:
    """The process the crash test kills: one sample, paused for good at its sixth step."""

    async def main() -> None:
        async with BatchedSqliteSaver.from_conn_string(path) as saver:
            calls: list[int] = []
            graph = dialogue_graph(saver, calls, pause=0.1)

            async def watch() -> None:
                while 5 not in calls:
                    await asyncio.sleep(0.005)
                Path(marker).touch()
                await asyncio.sleep(NEVER)

            await asyncio.gather(graph.ainvoke(start(), config("k")), watch())

    asyncio.run(main())


async def test_sigkill_leaves_a_database_a_fresh_saver_resumes(tmp_path: Path):
    path, marker = tmp_path / "c.sqlite", tmp_path / "at-step-5"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from tests.test_checkpoints import child; child({str(path)!r}, {str(marker)!r})",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert marker.exists(), proc.stderr.read() if proc.stderr else None
        await asyncio.sleep(0.05)  # the kill lands mid-step, a flush interval after the marker
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    async with BatchedSqliteSaver.from_conn_string(str(path)) as saver:
        calls: list[int] = []
        graph = dialogue_graph(saver, calls)
        saved = await graph.aget_state(config("k"))
        # step 4 ended 50 ms before the kill, two flush intervals: at most it is lost
        resumed_at = saved.values["n"]
        assert resumed_at in (4, 5) and saved.next == ("speak",)
        final = await graph.ainvoke(None, config("k"))  # None: continue from the checkpoint
    assert calls == list(range(resumed_at, STEPS))
    assert final == {"turns": [turn(n) for n in range(STEPS)], "n": STEPS}


async def test_a_failed_flush_is_raised_by_the_next_call_and_by_close(tmp_path: Path):
    path = tmp_path / "c.sqlite"
    saving = BatchedSqliteSaver.from_conn_string(str(path), interval=0.01)
    saver = await saving.__aenter__()
    try:
        await saver.setup()
        with closing(sqlite3.connect(path)) as db:  # the disk refuses writes rows from now on
            db.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON writes "
                "BEGIN SELECT RAISE(ABORT, 'the disk says no'); END"
            )
            db.commit()
        graph = dialogue_graph(saver)
        await graph.ainvoke(start(), config("a"), durability="exit")  # one checkpoint, queued
        at_end = (await graph.aget_state(config("a"))).config
        await saver.aput_writes(at_end, [("n", 0)], "task")  # and a write: nothing fails yet

        async def first_error() -> CheckpointWriteError:
            while True:  # until the timer's flush has failed
                try:
                    await saver.aget_tuple(config("b"))
                except CheckpointWriteError as exc:
                    return exc
                await asyncio.sleep(0.01)

        assert "the disk says no" in str(await asyncio.wait_for(first_error(), 5))
        for call in (
            graph.aget_state(config("b")),
            graph.ainvoke(start(), config("c")),
            saver.adelete_thread("a"),
        ):
            with pytest.raises(CheckpointWriteError, match="the disk says no") as info:
                await call
            assert isinstance(info.value.__cause__, sqlite3.IntegrityError)
    finally:
        with pytest.raises(CheckpointWriteError, match="the disk says no"):
            await saving.__aexit__(None, None, None)
    assert rows(path) == (0, 0)  # the checkpoint went in before the write failed: rolled back

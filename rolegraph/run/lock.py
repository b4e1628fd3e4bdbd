"""One writer per run directory: an OS-level lock held for as long as a process writes.

`run`, `run --resume`, `review` and every worker's checkpoint file take an exclusive
`fcntl.flock` on a lock file before they read or write anything. The kernel drops the lock
when the holder exits, however it exits (a SIGKILL too), so a dead holder never blocks a
resume and there is no stale lock to clean up. A second writer gets one line saying who
holds the directory, and exit code 2. Readers (`report`, `eval`, `export`) never take the
lock: the run store is in WAL mode and the JSONL files are only appended.

The lock file is never deleted (deleting a lock file lets two processes lock two different
files of the same name); it holds the holder's pid and command, for that one-line message
and for readers that want to know whether a run is still going.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from rolegraph.errors import UsageError
from rolegraph.outputs.rundir import LOCK_FILE


class RunDirBusy(UsageError):
    """Another process writes this run directory (or this worker's checkpoint file)."""


class FileLock:
    """An exclusive `flock` on `path`, taken on enter and released on exit (or death).

    `wait` seconds are spent retrying before giving up (0: fail at once). `what` names the
    holder in the lock file, e.g. "rolegraph run".
    """

    def __init__(self, path: Path, what: str, *, wait: float = 0.0, busy: str = "") -> None:
        self.path = path
        self.what = what
        self.wait = wait
        self.busy = busy  # the message for a second writer; {holder} is filled in
        self.fd: int | None = None

    def __enter__(self) -> FileLock:
        if self.fd is None:  # lock_run_dir hands it over taken
            self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    holder = describe_holder(self.path)
                    os.close(fd)
                    raise RunDirBusy(self.busy.format(holder=holder)) from None
                time.sleep(0.05)
        body = {
            "pid": os.getpid(),
            "command": self.what,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(body) + "\n").encode(), 0)
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            # no holder any more: readers see an empty file (a read-only or full disk must
            # not hide the error that brought us here)
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the last descriptor releases the flock


def describe_holder(path: Path) -> str:
    """'pid 123, rolegraph run since 10:22:05 UTC' from a lock file, or 'another process'."""
    try:
        body = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        body = {}
    if not isinstance(body, dict) or "pid" not in body:
        return "another process"
    since = str(body.get("since", ""))[11:19]
    return f"pid {body['pid']}, {body.get('command', 'rolegraph')}" + (
        f" since {since} UTC" if since else ""
    )


def lock_run_dir(out_dir: Path, command: str) -> FileLock:
    """Lock `out_dir` for `command` ("rolegraph run", "rolegraph review"); creates the folder."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(
        out_dir / LOCK_FILE,
        command,
        busy=f"{out_dir} is in use by another rolegraph process ({{holder}}); "
        "wait for it to finish or stop it, then try again (report, eval and export "
        "can read it meanwhile)",
    )
    lock.acquire()
    return lock


def lock_worker_file(checkpoints: Path, wait: float = 15.0) -> FileLock:
    """Lock a worker's checkpoint file; waits for a worker of a dead driver to exit first."""
    checkpoints.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(
        checkpoints.with_name(checkpoints.name + ".lock"),
        "rolegraph worker",
        wait=wait,
        busy=f"{checkpoints} is still in use ({{holder}}); is another run of this "
        "directory going on?",
    )
    lock.acquire()
    return lock


__all__ = ["FileLock", "RunDirBusy", "describe_holder", "lock_run_dir", "lock_worker_file"]

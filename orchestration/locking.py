"""One build at a time per published warehouse: an exclusive lock on a file beside it.

Two builds of the same warehouse used to run side by side: the one started later with an older as-of
date was published last, and one summary printed the other build's MRR. The lock is held from the start
of the build to the end of the summary; a second build waits a bounded time, then fails naming the holder.
The operating system releases the lock when the holding process dies, so a killed build never leaves the
warehouse locked.

The lock is re-entrant within one process (the CLI takes it around the whole build and the Dagster run
takes it again), never across processes.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

POLL_SECONDS = 0.5


class BuildLockTimeout(RuntimeError):
    """Another build of the same warehouse held the lock for longer than the timeout."""


@dataclass
class HeldLock:
    handle: int
    depth: int


HELD: dict[Path, HeldLock] = {}
REGISTRY = threading.Lock()


def describe_holder(lock_path: Path) -> str:
    try:
        holder = json.loads(lock_path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another build (its details could not be read)"
    if not holder:
        return "another build"
    return (
        f"process {holder.get('pid')} on {holder.get('host')}, started {holder.get('started_at')} "
        f"(as of {holder.get('as_of') or 'today'}, landing folder {holder.get('raw_dir')})"
    )


def try_lock(handle: int) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def acquire(
    lock_path: Path, timeout_seconds: float, details: dict[str, str], on_wait: Callable[[str], None] | None
) -> int:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout_seconds
    if not try_lock(handle) and on_wait is not None:
        on_wait(
            f"Another build of this warehouse is running: {describe_holder(lock_path)}. "
            f"Waiting up to {timeout_seconds:.0f} s for it (SAAS_LOCK_TIMEOUT)."
        )
    while not try_lock(handle):
        if time.monotonic() >= deadline:
            holder = describe_holder(lock_path)
            os.close(handle)
            raise BuildLockTimeout(
                f"Another build of this warehouse is running: {holder}. Waited {timeout_seconds:.0f} s "
                f"for it (SAAS_LOCK_TIMEOUT). Let it finish, or stop it; the lock is {lock_path}."
            )
        time.sleep(POLL_SECONDS)
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **details,
    }
    os.ftruncate(handle, 0)
    os.pwrite(handle, json.dumps(record).encode(), 0)
    return handle


@contextmanager
def build_lock(
    lock_path: Path,
    timeout_seconds: float,
    details: dict[str, str],
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the warehouse's build lock (waiting up to timeout_seconds for another build to finish;
    on_wait is told once when it has to wait)."""
    key = lock_path.resolve()
    with REGISTRY:
        held = HELD.get(key)
        if held is not None:
            held.depth += 1
    if held is None:
        handle = acquire(key, timeout_seconds, details, on_wait)
        with REGISTRY:
            HELD[key] = HeldLock(handle=handle, depth=1)
    try:
        yield
    finally:
        with REGISTRY:
            held = HELD[key]
            held.depth -= 1
            if held.depth == 0:
                del HELD[key]
                os.ftruncate(held.handle, 0)
                fcntl.flock(held.handle, fcntl.LOCK_UN)
                os.close(held.handle)

"""`saas-warehouse ui`: the Dagster UI (`dagster dev`) with its run history kept between restarts, stopped
cleanly by Ctrl-C or SIGTERM (`dagster dev` ignores SIGTERM; its services stop on SIGINT)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from orchestration.settings import REPO_ROOT

DEFAULT_DAGSTER_HOME = REPO_ROOT / ".dagster_home"
STOP_TIMEOUT_SECONDS = 30


def dagster_home(env: Mapping[str, str]) -> Path:
    """DAGSTER_HOME, else the repository's .dagster_home/ (runs, schedules and sensor state survive
    restarts; without it `dagster dev` keeps them in a temporary folder it deletes)."""
    home = Path(env.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def dagster_dev_command(host: str, port: int) -> list[str]:
    dagster = Path(sys.executable).parent / "dagster"
    return [str(dagster), "dev", "-m", "orchestration.definitions", "--host", host, "--port", str(port)]


def run_ui(host: str, port: int) -> int:
    """Run `dagster dev` in its own process group; Ctrl-C and SIGTERM become one SIGINT to the group, and
    whatever has not stopped after STOP_TIMEOUT_SECONDS is killed. Returns dagster dev's exit status (0 when
    it was stopped on request)."""
    home = dagster_home(os.environ)
    print(f"Dagster UI on http://{host}:{port} (run history in {home}); stop with Ctrl-C.", flush=True)
    child = subprocess.Popen(
        dagster_dev_command(host, port),
        env={**os.environ, "DAGSTER_HOME": str(home)},
        cwd=REPO_ROOT,
        start_new_session=True,
    )
    stop_deadline: list[float] = []

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if not stop_deadline:
            stop_deadline.append(time.monotonic() + STOP_TIMEOUT_SECONDS)
            signal_group(child.pid, signal.SIGINT)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    status = None
    while status is None:
        try:
            status = child.wait(timeout=1)
        except subprocess.TimeoutExpired:
            if stop_deadline and time.monotonic() > stop_deadline[0]:
                signal_group(child.pid, signal.SIGKILL)
    signal_group(child.pid, signal.SIGKILL)  # a service dagster dev left behind
    return 0 if stop_deadline else status


def signal_group(group_id: int, signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group_id, signal_number)

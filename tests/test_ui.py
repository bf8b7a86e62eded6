"""The Dagster UI without surprises: opening it starts no build (the landing-folder sensor is off unless
SAAS_WATCH_LANDING=true), its run history lives in DAGSTER_HOME, and SIGTERM stops it and its services."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from dagster import DefaultSensorStatus

from orchestration.definitions import defs
from orchestration.sensors import sensor_default_status
from orchestration.settings import REPO_ROOT, SettingsError

STARTUP_TIMEOUT_SECONDS = 120


def test_the_sensor_is_off_unless_asked_for() -> None:
    assert sensor_default_status({}) == DefaultSensorStatus.STOPPED
    assert sensor_default_status({"SAAS_WATCH_LANDING": "true"}) == DefaultSensorStatus.RUNNING
    assert sensor_default_status({"SAAS_WATCH_LANDING": "no"}) == DefaultSensorStatus.STOPPED
    with pytest.raises(SettingsError, match="SAAS_WATCH_LANDING"):
        sensor_default_status({"SAAS_WATCH_LANDING": "sometimes"})
    assert defs.resolve_sensor_def("new_raw_files_sensor").default_status == DefaultSensorStatus.STOPPED


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_server(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"saas-warehouse ui exited with {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"the UI did not answer on {url} within {STARTUP_TIMEOUT_SECONDS} s")


LOCATION_QUERY = (
    "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
    "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
)


def code_location_states(port: int) -> list[tuple[str, str, str]]:
    """(name, load status, type of the loaded location or of its load error) of every code location."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": LOCATION_QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        entries = json.load(response)["data"]["workspaceOrError"]["locationEntries"]
    return [
        (entry["name"], entry["loadStatus"], json.dumps(entry["locationOrLoadError"])) for entry in entries
    ]


def loaded_code_locations(port: int) -> list[tuple[str, str, str]]:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    states = code_location_states(port)
    while any(status == "LOADING" for _, status, _ in states) and time.monotonic() < deadline:
        time.sleep(1)
        states = code_location_states(port)
    return states


def processes_using(marker: str) -> list[str]:
    listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    return [line for line in listing.splitlines() if marker in line and "ps -eo" not in line]


def test_the_ui_starts_no_run_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    home = tmp_path / "dagster-home"
    port = free_port()
    # the daily schedule does run builds while the UI is open; here it is pointed at 29 February
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DAGSTER_HOME": str(home),
        "SAAS_BUILD_CRON": "0 0 29 2 *",
    }
    ui = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "ui", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_server(f"http://127.0.0.1:{port}/server_info", ui)
        # the venv is not on PATH here: the code location must load all the same
        assert loaded_code_locations(port) == [
            ("orchestration.definitions", "LOADED", json.dumps({"__typename": "RepositoryLocation"}))
        ]
        time.sleep(5)  # a sensor or schedule tick that would start a run has had its chance
        with sqlite3.connect(home / "history" / "runs.db") as runs:
            assert runs.execute("select count(*) from runs").fetchone()[0] == 0
        ui.send_signal(signal.SIGTERM)
        output, _ = ui.communicate(timeout=60)
    finally:
        if ui.poll() is None:
            ui.kill()
        # a failed assertion must not leave dagster dev's services running (they are in their own group)
        leftovers = processes_using(str(home))
        for line in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(line.split()[0]), signal.SIGKILL)
    assert ui.returncode == 0, output[-3000:]
    assert "Shutting down Dagster services" in output
    assert leftovers == []

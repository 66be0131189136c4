"""`make load` end to end, tiny: gunicorn with 2 workers, Locust with 2 users for 4 seconds, the
realistic mix only, then the consistency checks. Proves the tool runs and the site stays
consistent under concurrent HTTP load; the figures themselves mean nothing at this size.
Skipped when Locust is not installed (it is a development extra, not needed by the site)."""

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("locust") is None, reason="locust is not installed"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_short_load_run_has_no_errors_and_leaves_the_database_consistent(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("FIELDFRIENDS_TESTING",)}
    env.update(
        # Its own SQLite file; the seeded population is cached in the benchmarks' cache dir.
        LOAD_DATABASE_URL=f"sqlite:///{tmp_path / 'load.sqlite3'}",
        LOAD_PORT=str(free_port()),
        LOAD_PHASES="mixed",
        LOAD_SECONDS="4",
        LOAD_USERS="2",
        LOAD_WORKERS="2",
        LOAD_SERIAL="2",
        LOAD_HELPERS="20",
        LOAD_CUSTOMERS="10",
    )
    output = tmp_path / "load.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.load", "--output", str(output)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(output.read_text())
    assert report["ok"] is True
    assert report["rate_limits"].startswith("off")
    mixed = report["phases"]["mixed"]
    assert mixed["all"]["requests"] > 0 and mixed["all"]["failures"] == 0
    assert not any(status.startswith("5") for status in report["server_status_codes"])
    assert {k: v for k, v in report["checks"].items() if not k.startswith("_") and v} == {}

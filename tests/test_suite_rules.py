"""Rules the suite itself keeps: what fails a test besides its assertions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DROPPED = '''
import gc


async def send_the_email():
    pass


def test_forgets_to_await():
    send_the_email()  # the work is never done
    gc.collect()
'''


def test_a_coroutine_never_awaited_fails_the_test(tmp_path):
    (tmp_path / "test_dropped.py").write_text(DROPPED)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", "-c", str(ROOT / "pyproject.toml"),
         "--rootdir", str(tmp_path), str(tmp_path / "test_dropped.py")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed" in run.stdout and "was never awaited" in run.stdout

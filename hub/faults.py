"""Crash points for the crash tests.

The crash tests run a real ``continuata-hub serve`` with
``HUB_TEST_CRASH_AT=<point>``; when the process reaches that point it kills
itself with SIGKILL, exactly as ``kill -9`` or a power cut would: no
``finally`` block, no rollback, no flush. The tests then restart the hub and
check that the API finishes the job. Nothing else reads the variable, and
unset (always, outside the tests) a crash point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

CRASH_AT_VARIABLE = "HUB_TEST_CRASH_AT"


def crash_point(name: str) -> None:
    """Die here, at once, if the tests asked for a crash at ``name``."""
    if os.environ.get(CRASH_AT_VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)

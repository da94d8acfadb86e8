"""The hub's pytest plugin for a plugin project's tests.

Load it from your project's pytest configuration (``addopts = "-p
hub.testing.pytest_plugin"``; see docs/plugins.md, "Test it"). It keeps the
warnings of the hub's own dependencies out of your test run, where you could
do nothing about them, and leaves every other warning (your plugin's, the
hub's API that you call) as pytest shows it.
"""

from __future__ import annotations

import pytest

HUB_DEPENDENCY_WARNINGS = (
    # Litestar 2.x announces Litestar 3's explicit parameter markers; the
    # hub's handlers use the documented 2.x style until the move to 3.
    "ignore::litestar.exceptions.LitestarDeprecationWarning",
    "ignore:Deprecated 'query' parameter:DeprecationWarning",
)
"""``filterwarnings`` lines for warnings raised inside the hub's dependencies."""


def pytest_configure(config: pytest.Config) -> None:
    for line in HUB_DEPENDENCY_WARNINGS:
        config.addinivalue_line("filterwarnings", line)

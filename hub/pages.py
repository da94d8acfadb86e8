"""Jinja templates for pages, with shop overrides taking precedence.

Templates live in the project's ``templates/`` folder; a shop can override
any of them by putting a file of the same name in ``HUB_TEMPLATES_DIR``.
Autoescaping is on for HTML.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

BUILTIN_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def human_size(size: int) -> str:
    """``2147483648`` → ``2.0 GB`` (decimal units, as file managers show)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"


def template_environment(override_dir: Path | None = None, extra_dirs: list[Path] | None = None) -> Environment:
    search = [d for d in [override_dir, *(extra_dirs or []), BUILTIN_TEMPLATES] if d is not None]
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in search]),
        autoescape=select_autoescape(["html", "htm", "xml"]),
        enable_async=False,
    )
    env.filters["filesize"] = human_size
    return env

"""Jinja templates for pages, with shop overrides taking precedence.

Templates live in the project's ``templates/`` folder; a shop can override
any of them by putting a file of the same name in ``HUB_TEMPLATES_DIR``.
Autoescaping is on for HTML.

The folder sits outside the Python packages in the repository, but the
distribution ships it as the package ``hub.templates`` (see pyproject.toml),
so a wheel or a plain ``pip install .`` has its templates too.
"""

from __future__ import annotations

import importlib.util
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape


def builtin_templates() -> Path:
    """Where the hub's own templates are: the installed ``hub.templates``
    package, or, in a checkout run from its folder, the top-level ``templates/``."""
    try:
        spec = importlib.util.find_spec("hub.templates")
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent / "templates"


BUILTIN_TEMPLATES = builtin_templates()


def human_size(size: int) -> str:
    """``2147483648`` → ``2.0 GB`` (decimal units, as file managers show)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"


BREAK_AFTER = ("/", "_", "-", "@", ":")


def breakable(name: object) -> Markup:
    """``name`` escaped, with a line-break opportunity (``<wbr>``) after each
    ``/``, ``_``, ``-``, ``@`` and ``:`` and before each ``.``: on a narrow
    screen ``Kicks/Kick_01.wav`` wraps as ``Kicks/ Kick_ 01.wav`` and an
    address at its parts, never inside a word (``Kic k_01.wa v``)."""
    text = str(escape(str(name)))
    for mark in BREAK_AFTER:
        text = text.replace(mark, mark + "<wbr>")
    return Markup(text.replace(".", "<wbr>."))


class PageEnvironment(Environment):
    """Jinja's environment, reading ``row.name`` of a dict as the key first.

    The hub hands templates plain dicts (database rows, file lists). Jinja
    looks for an attribute first and catches the ``AttributeError`` before
    it tries the key: an exception for every ``file.name`` of a page, a fifth
    of the download page's render. A dict's key is looked up first here; a
    name that is no key (``row.items()``) is still the dict's attribute.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as one plain dict, where Jinja makes a
        ``ChainMap`` over the environment's: every render copies them twice,
        and a ``ChainMap`` copies slowly. Jinja's own rule still holds: set
        globals before templates are loaded."""
        return {**self.globals, **(d or {})}

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def template_environment(override_dir: Path | None = None, extra_dirs: list[Path] | None = None) -> Environment:
    search = [d for d in [override_dir, *(extra_dirs or []), BUILTIN_TEMPLATES] if d is not None]
    env = PageEnvironment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in search]),
        autoescape=select_autoescape(["html", "htm", "xml"]),
        enable_async=False,
        # Templates are read once per process: no stat of the file at every
        # render (a changed template shows after a restart).
        auto_reload=False,
    )
    env.filters["filesize"] = human_size
    env.filters["breakable"] = breakable
    return env

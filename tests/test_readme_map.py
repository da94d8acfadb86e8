"""The README's map of the code names every package and module of ``hub``.

A newcomer reads the layout there first; a module added without a line in
the map fails here, naming it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {"migrations", "static"}


def the_map() -> str:
    readme = (ROOT / "README.md").read_text()
    development = readme[readme.index("## Development") :]
    return development[development.index("```") + 3 : development.index("```", development.index("```") + 3)]


def modules() -> list[Path]:
    return sorted(
        path.relative_to(ROOT)
        for path in (ROOT / "hub").rglob("*.py")
        if not SKIPPED & set(path.relative_to(ROOT).parts)
    )


def named(path: Path, text: str) -> bool:
    """A package by ``name/``; a module of the hub's root by ``name.py``; a
    module of a package by ``name.py`` or, in a package's list, its name."""
    path = ROOT / path
    if path.name == "__init__.py":
        package = path.parent.relative_to(ROOT / "hub").as_posix()
        return package == "." or any(
            re.search(rf"(^|\s){re.escape(name)}/", text) for name in (package, path.parent.name)
        )
    if path.name == "__main__.py" or re.search(rf"\b{re.escape(path.name)}\b", text):
        return True
    return path.parent != ROOT / "hub" and re.search(rf"\b{re.escape(path.stem)}\b", text) is not None


def test_the_readme_map_names_every_package_and_module():
    text = the_map()
    assert len(modules()) > 100  # the walk found the code
    missing = [str(path) for path in modules() if not named(path, text)]
    assert missing == [], f"README's map (## Development) does not name: {missing}"

"""The distribution ships everything the hub needs at run time: every
Python package and every template (a wheel once shipped no templates)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_python_package_is_listed_for_the_distribution():
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "hub").rglob("__init__.py")}
    # The built-in plugins' folder ships under a name of our own, so that it
    # cannot clash with another distribution's top-level ``plugins``.
    assert SETUPTOOLS["package-dir"]["continuata_plugins"] == "plugins"
    found |= {
        ".".join(["continuata_plugins", *init.parent.relative_to(ROOT / "plugins").parts])
        for init in (ROOT / "plugins").rglob("__init__.py")
    }
    assert found - set(SETUPTOOLS["packages"]) == set()


def test_every_template_is_shipped_in_the_hub_templates_package():
    assert SETUPTOOLS["package-dir"]["hub.templates"] == "templates"
    for path in (ROOT / "templates").rglob("*"):
        if path.is_dir():
            assert "hub.templates." + ".".join(path.relative_to(ROOT / "templates").parts) in SETUPTOOLS["packages"], path
            continue
        package = ".".join(["hub.templates", *path.parent.relative_to(ROOT / "templates").parts])
        patterns = SETUPTOOLS["package-data"].get(package, [])
        assert any(fnmatch.fnmatch(path.name, p) for p in patterns), f"{path} is not in package-data of {package}"


def test_the_hub_finds_its_templates_through_the_package():
    from hub.pages import builtin_templates

    assert (builtin_templates() / "download.html").is_file()

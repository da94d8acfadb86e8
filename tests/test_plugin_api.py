"""The public plugin API: the one module of ``hub`` a plugin imports.

The built-in plugins and the example plugin are written against
:mod:`hub.plugin_api` alone, so that the rest of ``hub`` can change without
breaking a plugin; these tests fail naming any other import of ``hub``.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import hub.plugin_api as plugin_api
from hub.plugins import hookspecs
from hub.plugins.protocols import BytesMailer, ConcurrentMailer, Mailer, mailer_concurrency

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = "hub.plugin_api"


def plugin_sources() -> list[Path]:
    """Every non-test Python file of the built-in plugins and the examples."""
    files = sorted((ROOT / "plugins").rglob("*.py")) + sorted((ROOT / "examples").glob("*/**/*.py"))
    return [path for path in files if "tests" not in path.relative_to(ROOT).parts and "conftest.py" != path.name]


def hub_imports(path: Path, root: Path = ROOT) -> list[str]:
    """``file:line: module`` for each import of a ``hub`` module other than
    the plugin API (at any depth: a function's own import counts too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module] if node.module != "hub" else [f"hub.{alias.name}" for alias in node.names]
        else:
            continue
        for module in modules:
            if (module == "hub" or module.startswith("hub.")) and module != ALLOWED:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {module}")
    return found


def test_plugins_import_only_the_plugin_api():
    sources = plugin_sources()
    assert any(path.parts[-3:] == ("plugins", "stripe", "events.py") for path in sources)
    assert any("sales-log-plugin" in path.parts for path in sources)
    offending = [line for path in sources for line in hub_imports(path)]
    assert offending == [], "plugins must import hub.plugin_api only:\n" + "\n".join(offending)


def test_the_import_walk_sees_every_form_of_import(tmp_path):
    module = tmp_path / "plugin.py"
    module.write_text(
        "import hub.db\nfrom hub import tables\nfrom hub.plugin_api import hookimpl\n"
        "def later():\n    from hub.services.purchases import record_purchase\n"
    )
    found = sorted(hub_imports(module, root=tmp_path), key=lambda line: int(line.split(":")[1]))
    assert [line.rsplit(": ", 1)[1] for line in found] == ["hub.db", "hub.tables", "hub.services.purchases"]


def test_the_plugin_api_exports_exactly_what_its_all_lists():
    exported = set(plugin_api.__all__)
    assert len(exported) == len(plugin_api.__all__), "a name is listed twice"
    missing = [name for name in plugin_api.__all__ if not hasattr(plugin_api, name)]
    assert missing == []
    public = {
        name for name, value in vars(plugin_api).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public == exported, f"imported but not in __all__: {sorted(public - exported)}"
    assert plugin_api.hookimpl is hookspecs.hookimpl


@pytest.mark.parametrize(
    ("mailer", "is_bytes", "concurrency"),
    [
        (type("Plain", (), {"send": lambda self, message: None})(), False, 1),
        (type("Bytes", (), {"send": lambda self, m: None, "send_bytes": lambda self, d, **e: None})(), True, 1),
        (type("Four", (), {"send": lambda self, m: None, "concurrency": 4})(), False, 4),
        (type("Nonsense", (), {"send": lambda self, m: None, "concurrency": True})(), False, 1),
        (type("Zero", (), {"send": lambda self, m: None, "concurrency": 0})(), False, 1),
    ],
)
def test_a_mailers_abilities_are_read_from_its_protocols(mailer, is_bytes, concurrency):
    assert isinstance(mailer, Mailer)
    assert isinstance(mailer, BytesMailer) is is_bytes
    assert isinstance(mailer, ConcurrentMailer) is (type(mailer).__name__ in {"Four", "Nonsense", "Zero"})
    assert mailer_concurrency(mailer) == concurrency


# The plugin contract's public signatures name no ``Any``: a JSON object of
# arbitrary content is spelt ``JSONObject`` (hub.plugins.records, documented
# as such). What is left below is the purchase *row* a payment plugin reads
# back (find_purchase, RecordedPurchase): typing it (a TypedDict of the
# purchase table) touches every service that passes purchases around, so it
# is listed here until it is done, and this list may only shrink.
UNTYPED_ROWS = {
    "find_purchase -> return",
    "references_of -> purchase",
    "RecordedPurchase.purchase",
    "RecordedPurchase.tokens",
    "hub.plugins.records.email_purchase -> row",
}


def contract_annotations() -> list[tuple[str, str]]:
    """``(where, annotation)`` for every public signature and field of the
    plugin contract: the plugin API's exports, and what the hookspecs,
    events, records and protocols modules define."""
    from hub.plugins import events, protocols, records

    found: list[tuple[str, str]] = []

    def of_function(where: str, function: object) -> None:
        for name, annotation in inspect.get_annotations(function).items():
            found.append((f"{where} -> {name}", str(annotation)))

    def of_class(where: str, cls: type) -> None:
        for name, annotation in inspect.get_annotations(cls).items():
            found.append((f"{where}.{name}", str(annotation)))
        for name, member in vars(cls).items():
            if inspect.isfunction(member) and (not name.startswith("_") or name == "__call__"):
                of_function(f"{where}.{name}", member)

    def of(where: str, value: object) -> None:
        if inspect.isclass(value):
            of_class(where, value)
        elif inspect.isfunction(value):
            of_function(where, value)

    for name in plugin_api.__all__:
        of(name, getattr(plugin_api, name))
    for module in (hookspecs, events, records, protocols):
        for name, value in vars(module).items():
            if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__:
                of(f"{module.__name__}.{name}", value)
    return found


def test_the_plugin_contract_names_no_any():
    annotations = contract_annotations()
    assert any(where == "hub.plugins.events.HubEvent.webhooks -> return" for where, _ in annotations)
    with_any = {where for where, annotation in annotations if re.search(r"\bAny\b", annotation)}
    assert with_any == UNTYPED_ROWS, (
        f"Any in the plugin contract (type it; a JSON object is JSONObject): {sorted(with_any - UNTYPED_ROWS)}; "
        f"typed now, drop from UNTYPED_ROWS: {sorted(UNTYPED_ROWS - with_any)}"
    )

"""Finding, loading and calling plugins.

Plugins are found through the ``continuata_hub`` entry-point group; the
built-in Stripe, PayPal and email plugins are registered through that same
group, so the core imports none of them. ``HUB_PLUGINS`` chooses which load:
unset or ``all`` loads every plugin found; a comma-separated list loads just
those; a name prefixed with ``-`` leaves that one out (``all,-paypal``).

A plugin that fails to import stops the start-up with a message naming it
(and how to leave it out): a shop must not discover at the first sale that
its payment plugin never loaded.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pluggy

from hub import hookspecs

log = logging.getLogger("hub.plugins")
ENTRY_POINT_GROUP = "continuata_hub"


@dataclass(frozen=True)
class Setting:
    """A setting a plugin declares through ``hub_settings``."""

    name: str
    description: str
    required: bool = False
    secret: bool = False
    default: str | None = None


@dataclass(frozen=True)
class RenderedEmail:
    """What ``render_email`` returns: one message, in text and HTML."""

    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True)
class PaymentProviderStatus:
    """What ``payment_provider_status`` returns: a payment plugin's setup.

    ``name`` is the provider as purchases and webhook events record it
    (``stripe``); ``webhook_url`` the exact address to paste into the
    provider's dashboard; ``missing`` the settings still to set.
    """

    name: str
    title: str
    configured: bool
    webhook_url: str
    missing: tuple[str, ...] = ()
    note: str = ""


class PluginLoadError(RuntimeError):
    """A plugin could not be loaded; the message names it."""


@dataclass(frozen=True)
class LoadedPlugin:
    name: str
    version: str
    hooks: tuple[str, ...]


def selection(value: str | None) -> tuple[set[str] | None, set[str]]:
    """Parse ``HUB_PLUGINS`` into (names to load or None for all, names left out)."""
    wanted: set[str] = set()
    excluded: set[str] = set()
    load_all = not value or not value.strip()
    for item in (value or "").split(","):
        item = item.strip()
        if not item:
            continue
        if item == "all":
            load_all = True
        elif item.startswith("-"):
            excluded.add(item[1:])
        else:
            wanted.add(item)
    return (None if load_all else wanted), excluded


def new_plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


def load_plugins(
    choice: str | None = None, extra: Iterable[tuple[str, object]] = ()
) -> pluggy.PluginManager:
    """A plugin manager with the chosen entry-point plugins, plus ``extra``
    ``(name, plugin)`` pairs (tests and embedding apps pass plugins directly)."""
    manager = new_plugin_manager()
    wanted, excluded = selection(choice)
    found: set[str] = set()
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name in found:
            continue  # the same distribution seen twice on sys.path
        found.add(entry_point.name)
        if entry_point.name in excluded or (wanted is not None and entry_point.name not in wanted):
            continue
        try:
            plugin = entry_point.load()
        except Exception as problem:  # any import error must stop the start-up, with its name
            raise PluginLoadError(
                f"Plugin {entry_point.name!r} ({entry_point.value}) failed to load: "
                f"{type(problem).__name__}: {problem}. Fix it, or leave it out with HUB_PLUGINS=all,-{entry_point.name}"
            ) from problem
        manager.register(plugin, name=entry_point.name)
    if wanted:
        missing = wanted - found
        if missing:
            raise PluginLoadError(
                f"HUB_PLUGINS names plugins that are not installed: {', '.join(sorted(missing))} "
                f"(installed: {', '.join(sorted(found)) or 'none'})"
            )
    for name, plugin in extra:
        manager.register(plugin, name=name)
    # A misspelt hook name fails here, loudly, instead of never being called.
    manager.check_pending()
    return manager


def describe(manager: pluggy.PluginManager) -> list[LoadedPlugin]:
    """Each loaded plugin with its distribution's version and its hooks."""
    versions = {}
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = entry_point.dist
        versions.setdefault(entry_point.name, dist.version if dist else "?")
    loaded = []
    for name, plugin in sorted(manager.list_name_plugin(), key=lambda item: item[0] or ""):
        hooks = tuple(sorted(caller.name for caller in manager.get_hookcallers(plugin) or []))
        loaded.append(LoadedPlugin(name=name or repr(plugin), version=versions.get(name, "-"), hooks=hooks))
    return loaded


async def await_me_maybe(value: Any) -> Any:
    """A hook may answer with a value, a function to call, or an awaitable."""
    if inspect.isfunction(value) or inspect.ismethod(value):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


async def first_result(manager: pluggy.PluginManager, hook: str, **kwargs: Any) -> Any:
    """Call a ``firstresult`` hook: the first implementation whose resolved
    answer is not None wins, and the later ones are not called.

    pluggy cannot do this for async plugins: to pluggy, the coroutine an
    ``async def`` implementation returns is already "a result", so one that
    would answer None hides every later plugin's answer. Each implementation
    is therefore called and awaited here, one at a time, in pluggy's own
    order (last registered first, ``tryfirst``/``trylast`` honoured).
    """
    caller = getattr(manager.hook, hook)
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            raise PluginLoadError(
                f"Plugin {impl.plugin_name!r} wraps hook {hook}, which the hub resolves itself; "
                "implement it as a plain hook instead"
            )
        answer = await await_me_maybe(impl.function(**{name: kwargs[name] for name in impl.argnames}))
        if answer is not None:
            return answer
    return None


async def collect(manager: pluggy.PluginManager, hook: str, **kwargs: Any) -> list[Any]:
    """Call a hook and resolve every implementation's answer."""
    return [await await_me_maybe(answer) for answer in getattr(manager.hook, hook)(**kwargs)]


async def notify(manager: pluggy.PluginManager, hook: str, **kwargs: Any) -> None:
    """Call a hook in this process now (``hub_startup``, ``hub_shutdown``):
    every implementation runs, and one that fails is logged without stopping
    the others. Event hooks go through :func:`hub.services.events.emit`
    instead: durable, and called by the worker."""
    caller = getattr(manager.hook, hook)
    for impl in reversed(caller.get_hookimpls()):
        try:
            wanted = {name: kwargs[name] for name in impl.argnames}
            await await_me_maybe(impl.function(**wanted))
        except Exception:  # a plugin's bug must not undo a committed purchase
            log.exception("Plugin %s failed in hook %s", impl.plugin_name, hook)

"""Finding, loading and calling plugins.

Plugins are found through the ``continuata_hub`` entry-point group; the
built-in Stripe, PayPal and email plugins are registered through that same
group, so the core imports none of them. ``HUB_PLUGINS`` chooses which load:
unset or ``all`` loads every plugin found; ``none`` loads none of them; a
comma-separated list loads just those; a name prefixed with ``-`` leaves
that one out (``all,-paypal``).

A plugin that fails to import stops the start-up with a message naming it
(and how to leave it out): a shop must not discover at the first sale that
its payment plugin never loaded. So does a required plugin setting left
unset (:func:`apply_plugin_settings`, which also fills in defaults), and a
``HUB_MAILER`` that names no loaded mailer (:func:`choose_mailer` decides
which plugin delivers email, whatever order the plugins were found in).
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import inspect
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pluggy

from hub.plugins import hookspecs
from hub.plugins.protocols import Mailer
from hub.settings import Settings, SettingsError

log = logging.getLogger("hub.plugins")
ENTRY_POINT_GROUP = "continuata_hub"


@dataclass(frozen=True)
class Setting:
    """A setting a plugin declares through ``hub_settings``.

    Checked when the hub is built (:func:`apply_plugin_settings`): a
    ``required`` setting that is unset (or empty) stops the start-up with a
    message naming it; an unset one with a ``default`` reads as its default
    in ``hub.settings.extra``. ``secret`` keeps its value out of
    ``continuata-hub plugins``.
    """

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
    provider's dashboard; ``missing`` the settings still to set;
    ``events`` the provider's events to subscribe the webhook to (the
    plugin's own list, so the console and the README say the same);
    ``settings`` the names of the plugin's settings, which the console
    shows as set by the environment or not set (never their values).
    """

    name: str
    title: str
    configured: bool
    webhook_url: str
    missing: tuple[str, ...] = ()
    note: str = ""
    events: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()


class PluginLoadError(RuntimeError):
    """A plugin could not be loaded; the message names it."""


@dataclass(frozen=True)
class LoadedPlugin:
    name: str
    version: str
    hooks: tuple[str, ...]


def selection(value: str | None) -> tuple[set[str] | None, set[str]]:
    """Parse ``HUB_PLUGINS`` into (names to load or None for all, names left out).

    ``none`` (alone) loads no installed plugin: a plugin's own tests, or a
    hub that only needs the core, pass their plugins directly."""
    if (value or "").strip().lower() == "none":
        return set(), set()
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


class PluginSettingError(SettingsError):
    """A plugin's required setting is missing; the message names it."""


def declared_settings(manager: pluggy.PluginManager) -> list[tuple[str, Setting]]:
    """``(plugin name, Setting)`` for every setting the loaded plugins declare."""
    declared: list[tuple[str, Setting]] = []
    for impl in reversed(manager.hook.hub_settings.get_hookimpls()):
        # pluggy types an implementation's answer as object; hub_settings
        # promises a sequence of Setting (hookspecs).
        for setting in cast("Sequence[Setting] | None", impl.function()) or []:
            declared.append((impl.plugin_name, setting))
    return declared


def apply_plugin_settings(manager: pluggy.PluginManager, settings: Settings) -> Settings:
    """``settings`` with the plugins' declared settings checked and their
    defaults filled in: what ``hub_settings``'s docstring promises.

    :raises PluginSettingError: naming every required variable that is unset
        (or empty), with the plugin that needs it and what it is for.
    """
    extra = dict(settings.extra)
    missing = []
    for plugin, setting in declared_settings(manager):
        if (extra.get(setting.name) or "").strip():
            continue
        if setting.default is not None:
            extra[setting.name] = setting.default
        elif setting.required:
            missing.append(f"{setting.name} (plugin {plugin!r}: {setting.description})")
    if missing:
        raise PluginSettingError(
            f"Required setting{'s' if len(missing) > 1 else ''} not set: {'; '.join(missing)}. "
            "Set it in the environment or .env, or leave the plugin out with HUB_PLUGINS"
        )
    if extra == dict(settings.extra):
        return settings
    return dataclasses.replace(settings, extra=extra)


def describe(manager: pluggy.PluginManager) -> list[LoadedPlugin]:
    """Each loaded plugin with its distribution's version and its hooks."""
    versions: dict[str, str] = {}
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


BUILTIN_MAILER = "email"
"""The plugin that delivers when ``HUB_MAILER`` is unset and it has a mailer: the built-in SMTP one."""


class MailerChoiceError(PluginLoadError):
    """``HUB_MAILER`` names no loaded mailer, or several plugins offer one and none is chosen."""


def check_mailer_choice(manager: pluggy.PluginManager, choice: str) -> dict[str, pluggy.HookImpl]:
    """The ``hub_mailer`` implementations by plugin name, once ``HUB_MAILER``
    (``choice``) is known to name one of them: checked when the hub is
    built, so a misspelt name stops the start-up before anything opens.

    :raises MailerChoiceError: naming the plugins that do offer a mailer.
    """
    impls = {impl.plugin_name: impl for impl in manager.hook.hub_mailer.get_hookimpls()}
    choice = (choice or "").strip()
    if choice and choice not in impls:
        raise MailerChoiceError(
            f"HUB_MAILER={choice} names no loaded plugin with a mailer "
            f"(plugins with one: {', '.join(sorted(impls)) or 'none'}; see HUB_PLUGINS)"
        )
    return impls


async def choose_mailer(manager: pluggy.PluginManager, hub: object, choice: str = "") -> tuple[str | None, Mailer | None]:
    """The mailer that delivers the outbox, and the name of its plugin.

    Deterministic, whatever order the plugins were found in:

    - ``HUB_MAILER=<plugin>`` (``choice``): that plugin's ``hub_mailer``
      answer, and no other plugin is asked. A name that is not a loaded
      plugin implementing ``hub_mailer`` stops the start-up.
    - Unset: every plugin implementing ``hub_mailer`` is asked. None
      offering a mailer leaves emails queued; one offering one delivers;
      when several do, the built-in ``email`` plugin (SMTP) delivers if it is
      one of them, and otherwise the start-up stops, naming them, until
      ``HUB_MAILER`` chooses.

    :param hub: what ``hub_mailer`` receives: the app's Hub, or the command
        line's stand-in (``settings`` and ``plugin_state`` only).
    :return: ``(plugin name, mailer)``, or ``(None, None)`` when nobody delivers.
    :raises MailerChoiceError: with a message naming the variable and the plugins,
        or naming a plugin whose answer is not a :class:`hub.plugins.protocols.Mailer`.
    """
    impls = check_mailer_choice(manager, choice)

    async def ask(name: str) -> Mailer | None:
        impl = impls[name]
        mailer = await await_me_maybe(impl.function(**{arg: {"hub": hub}[arg] for arg in impl.argnames}))
        # Checked here, at start-up, rather than at the first email.
        if mailer is not None and not isinstance(mailer, Mailer):
            raise MailerChoiceError(
                f"Plugin {name!r} offered a mailer without a send(message) method "
                f"({type(mailer).__name__}): see hub.plugin_api.Mailer"
            )
        return mailer

    choice = (choice or "").strip()
    if choice:
        return choice, await ask(choice)
    offers = {}
    for name in sorted(impls):
        mailer = await ask(name)
        if mailer is not None:
            offers[name] = mailer
    if not offers:
        return None, None
    if len(offers) == 1:
        return next(iter(offers.items()))
    if BUILTIN_MAILER in offers:
        return BUILTIN_MAILER, offers[BUILTIN_MAILER]
    raise MailerChoiceError(
        f"Several plugins offer a mailer ({', '.join(sorted(offers))}): "
        f"choose the one that delivers with HUB_MAILER (e.g. HUB_MAILER={sorted(offers)[0]})"
    )


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

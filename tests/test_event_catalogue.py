"""One list of events (:data:`hub.plugins.events.EVENTS`), and everything that
names events agrees with it: the hookspecs, the webhook catalogue, the
docs and both SDKs. A new event, or a renamed one, fails here until every
place says the same."""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing
from pathlib import Path

import pytest

import continuata
import hub.plugin_api as plugin_api
from hub.plugins import hookspecs
from hub.plugins.events import EVENTS, WEBHOOK_TYPES, HubEvent, TokensMinted
from hub.services.events import emit
from hub.services.webhook_events import EVENT_TYPES

ROOT = Path(__file__).resolve().parent.parent

LIFECYCLE_HOOKS = {
    "hub_settings", "hub_routes", "hub_template_dirs", "hub_piccolo_apps", "payment_provider_status", "hub_mailer",
    "render_email", "hub_inbox_processors", "hub_startup", "hub_shutdown",
}
"""The hooks that are not events: called in the process, at start-up or on demand."""


def hookspec_functions() -> dict[str, typing.Callable]:
    return {
        name: function for name, function in vars(hookspecs).items()
        if inspect.isfunction(function) and hasattr(function, f"{hookspecs.PROJECT}_spec")
    }


def type_hints(function_or_class) -> dict:
    """The annotations, resolved with the plugin API's names (the hookspecs
    import their types for type checkers only)."""
    namespace = {**vars(plugin_api), **vars(typing)}
    module = vars(inspect.getmodule(function_or_class))
    return typing.get_type_hints(function_or_class, globalns={**namespace, **module}, localns=namespace)


def test_every_event_class_has_its_hookspec_with_the_same_arguments_and_types():
    specs = hookspec_functions()
    for event in EVENTS:
        assert event.hook in specs, f"{event.__name__}.hook = {event.hook!r} names no hookspec"
        spec = specs[event.hook]
        arguments = list(inspect.signature(spec).parameters)
        fields = [field.name for field in dataclasses.fields(event)]
        assert arguments == ["hub", *fields], f"{event.hook}: hookspec {arguments} vs {event.__name__} {fields}"
        hints, field_hints = type_hints(spec), type_hints(event)
        assert hints["hub"] is plugin_api.Hub
        for name in fields:
            # A field may also be given as a function building the record later.
            accepted = typing.get_args(field_hints[name]) or (field_hints[name],)
            assert hints[name] == field_hints[name] or hints[name] in accepted, (event.hook, name)


def test_every_event_hookspec_has_its_event_class():
    event_hooks = set(hookspec_functions()) - LIFECYCLE_HOOKS
    assert event_hooks == {event.hook for event in EVENTS}
    assert len({event.hook for event in EVENTS}) == len(EVENTS)


def test_the_plugin_api_exports_every_event_class():
    assert {event.__name__ for event in EVENTS} <= set(plugin_api.__all__)
    assert all(getattr(plugin_api, event.__name__) is event for event in EVENTS)


def test_every_hookspec_is_typed_without_any():
    for name, spec in hookspec_functions().items():
        parameters = inspect.signature(spec).parameters
        annotations = spec.__annotations__  # the texts: some types are Litestar's and piccolo's own
        assert set(annotations) == {*parameters, "return"}, f"{name} has an argument or its return untyped"
        assert not any(re.search(r"\bAny\b", text) for text in annotations.values()), f"{name} uses Any"


def test_the_webhook_catalogue_is_the_union_of_the_events_webhook_types():
    announced = {webhook_type for event in EVENTS for webhook_type in event.webhook_types}
    assert set(EVENT_TYPES) == announced
    assert EVENT_TYPES is WEBHOOK_TYPES


SAMPLES: dict[str, dict] = {
    "purchase": {"id": "purchase_1"}, "tokens": [{"id": "token_1"}, {"id": "token_2"}],
    "revoked_tokens": [{"id": "token_1"}], "token": {"id": "token_1"}, "product": {"id": "pack"},
    "version": {"version": "1.0.0"}, "file": {"id": "file_1"}, "session_id": "dls_1", "first_in_session": True,
    "bytes_sent": 10, "completed": True, "message": {"id": "msg_1"}, "notified": 2,
    "license": {"id": "license_1"}, "activation": {"id": "activation_1"}, "by": "api", "reason": "refunded",
}


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: event.__name__)
def test_each_event_announces_only_the_webhook_types_it_declares(event):
    instance = event(**{field.name: SAMPLES[field.name] for field in dataclasses.fields(event)})
    announced = instance.webhooks()
    assert announced, f"{event.__name__} announces nothing with complete records"
    assert {webhook_type for webhook_type, _ in announced} <= set(event.webhook_types)


def documented_webhook_types() -> list[str]:
    text = (ROOT / "docs" / "webhooks.md").read_text()
    table = text.split("## Events", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", table, flags=re.MULTILINE)


def test_docs_webhooks_documents_exactly_the_webhook_types():
    documented = documented_webhook_types()
    assert len(documented) == len(set(documented))
    assert documented == list(EVENT_TYPES), "docs/webhooks.md's table lists the catalogue, in its order"
    text = (ROOT / "docs" / "webhooks.md").read_text()
    for webhook_type in EVENT_TYPES:  # each with an example
        assert f'"type": "{webhook_type}"' in text, f"docs/webhooks.md has no example of {webhook_type}"


def test_the_python_sdk_lists_exactly_the_webhook_types():
    assert list(continuata.EVENT_TYPES) == list(EVENT_TYPES)


def test_the_typescript_sdk_lists_exactly_the_webhook_types():
    declarations = (ROOT / "sdk" / "js" / "src" / "index.d.ts").read_text()
    union = re.search(r"export type WebhookEventType =([^;]*);", declarations)
    assert union is not None
    assert re.findall(r'"([^"]+)"', union.group(1)) == list(EVENT_TYPES)


def test_docs_plugins_documents_every_hook():
    text = (ROOT / "docs" / "plugins.md").read_text()
    rows = set(re.findall(r"^\| `([a-z_]+)\(", text, flags=re.MULTILINE))
    assert rows == set(hookspec_functions()), "docs/plugins.md's hook tables list every hook, and only hooks"
    for event in EVENTS:  # with the event class the core emits
        assert f"`{event.__name__}`" in text, f"docs/plugins.md does not name {event.__name__}"


async def test_emit_takes_an_event_never_a_name():
    with pytest.raises(TypeError, match="emit\\(\\) takes an event"):
        await emit(None, "tokens_minted", org="shop")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        TokensMinted(token=[])  # type: ignore[call-arg]  (a misspelt field)
    assert issubclass(TokensMinted, HubEvent)

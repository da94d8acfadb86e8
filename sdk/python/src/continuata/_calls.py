"""Requests as values (sans-I/O), so that one description of every
operation serves both :class:`~continuata.Client` and
:class:`~continuata.AsyncClient`: a resource method builds a :class:`Call`,
and the client it belongs to sends it, blocking or awaited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def data_of(body: Any) -> Any:
    """The ``data`` of the main API's envelope (the whole body when it has none)."""
    if isinstance(body, dict) and "data" in body:
        return body["data"]
    return body


@dataclass(frozen=True)
class Call:
    """One HTTP request of the hub's API and how to read its answer.

    ``parse`` gets the ``data`` of the decoded JSON envelope (or the text,
    for ``text=True``);
    ``idempotent`` says whether the request may be repeated after a lost
    answer or a 5xx (by default: GET, PUT and DELETE may, POST and PATCH not).
    """

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    content: bytes | None = None
    parse: Callable[[Any], Any] = lambda data: data
    text: bool = False
    idempotent: bool | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def repeatable(self) -> bool:
        return self.method in IDEMPOTENT_METHODS if self.idempotent is None else self.idempotent


def params(**values: Any) -> dict[str, Any]:
    """Query parameters without the ``None`` ones."""
    return {key: value for key, value in values.items() if value is not None}


def body(**values: Any) -> dict[str, Any]:
    """A JSON body without the ``None`` ones: a field left out is left unchanged."""
    return {key: value for key, value in values.items() if value is not None}

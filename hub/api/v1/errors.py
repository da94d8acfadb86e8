"""Errors of the v1 surface, in JSON:API's ``errors`` envelope.

Every error object has the seed's members in the seed's order: ``detail``,
``source`` (when the error is about one input), ``status`` (a string) and
``title``. The core words a problem ``<field> <what is wrong>`` (``upc-code
is required``); here it becomes the seed's sentence, ``The upc-code field is
required.``, pointing at ``/data/attributes/upc-code``, or at
``/data/relationships/label`` for a relationship, or naming the query
parameter it is about.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from hub.errors import HubError, Problems

MEDIA_TYPE = "application/vnd.api+json"
JSONAPI = {"version": "1.0"}

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
#: Names that are relationships wherever they appear in a v1 document.
RELATIONSHIPS = frozenset(
    {"company", "label", "language", "product-type", "product", "offers", "tracks", "rights"}
)
#: Members of the resource object itself, not of its attributes.
DOCUMENT_MEMBERS = {"data": "/data", "type": "/data/type", "id": "/data/id",
                    "attributes": "/data/attributes", "relationships": "/data/relationships"}
QUERY_PARAMETERS = frozenset({"include", "sort"})


class UnsupportedMediaType(HubError):
    status_code = 415


class NotAcceptable(HubError):
    status_code = 406


#: A problem's key may say where it is: ``attributes/<name>`` or
#: ``relationships/<name>`` (for names the surface does not know, such as
#: an unknown attribute) or ``query/<parameter>``.
PLACES = ("attributes", "relationships", "query")


def _place(key: str) -> tuple[str, str]:
    """(where, name) of a problem's key; where is guessed when not given."""
    place, _, name = key.partition("/")
    if place in PLACES and name:
        return place, name
    if "[" in key or key in QUERY_PARAMETERS:
        return "query", key
    return ("relationships" if key in RELATIONSHIPS else "attributes"), key


def source(key: str) -> dict[str, str]:
    """Where the problem is: a JSON pointer into the request document, or a
    query parameter."""
    if key in DOCUMENT_MEMBERS:
        return {"pointer": DOCUMENT_MEMBERS[key]}
    place, name = _place(key)
    return {"parameter": name} if place == "query" else {"pointer": f"/data/{place}/{name}"}


def detail(key: str | None, message: str) -> str:
    """``upc-code is required`` → ``The upc-code field is required.``"""
    text = message.strip()
    if key and key not in DOCUMENT_MEMBERS:
        place, name = _place(key)
        if text.startswith(f"{name} "):
            noun = "parameter" if place == "query" else "field"
            text = f"The {name} {noun} {text[len(name) + 1:]}"
    return text if text.endswith(".") else f"{text}."


def error_object(status: int, message: str, key: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"detail": detail(key, message)}
    if key:
        error["source"] = source(key)
    error["status"] = str(status)
    error["title"] = TITLES.get(status, "Error")
    return error


def jsonapi_error(request: Request, status: int, message: str, problems: list) -> Response:
    """The v1 renderer of :func:`hub.api.errors.error_handler`: one error
    object per problem (or one for the whole request)."""
    errors = [
        error_object(status, p.get("message") or message, p.get("key"))
        for p in problems
        if isinstance(p, dict)
    ] or [error_object(status, message)]
    return Response({"jsonapi": JSONAPI, "errors": errors}, status_code=status, media_type=MEDIA_TYPE)


def problems_handler(request: Request, exc: Problems) -> Response:
    """Several invalid inputs at once: one 422 error object each."""
    return jsonapi_error(
        request, exc.status_code, exc.message, [{"key": e.field, "message": e.message} for e in exc.errors]
    )

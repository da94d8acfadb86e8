"""The OpenAPI schema's parts that Litestar cannot infer from a handler.

- :func:`errors`: the error statuses an operation can answer, each with the
  hub's envelope (``{"success": false, "error": "…"}``). Declaring a 400
  this way also replaces Litestar's default "validation error" body
  (``status_code``/``detail``/``extra``), which the hub never sends: the
  app's exception handler answers in each surface's own envelope.
- :class:`PublicOperation`: ``security: []`` for routes that need no API key
  (the download pages, health checks); the schema's default is the bearer key.
- :class:`PartUploadOperation`: the raw ``application/octet-stream`` body of
  an upload part, which the handler streams itself (no ``data`` argument for
  Litestar to see).
- :func:`openapi_config`: the app's OpenAPI settings, with Swagger UI and
  ReDoc served from the hub's own files (``/schema/assets``), not a CDN;
  ReDoc's run-time styles get the page's style nonce
  (:data:`hub.web.security_headers.STYLE_NONCE_SLOT`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin, RedocRenderPlugin, SwaggerRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, Operation, RequestBody, Schema, SecurityScheme, Tag
from litestar.openapi.spec import OpenAPIMediaType as MediaType
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.router import Router
from litestar.static_files import create_static_files_router

from hub import __version__
from hub.api.errors import ErrorBody
from hub.web.security_headers import STYLE_NONCE_SLOT

#: What each error status means on the main API, as the schema describes it.
ERROR_MEANINGS = {
    400: "The request is malformed: a body that is not JSON, or of the wrong shape",
    401: "No valid API key (Authorization: Bearer ct_key_…)",
    403: "The API key's role is too low for this operation",
    404: "Not found (on the main API: not in the API key's organization)",
    409: "Conflicts with the current state (a ready version cannot change, a slug is taken…)",
    410: "No longer available",
    413: "The body is larger than allowed",
    422: "A field's value is not valid; the message names the field",
    429: "Too many requests; try again later",
    503: "A service the hub needs (storage) is unavailable; try again",
}


def errors(*statuses: int, body: type = ErrorBody) -> dict[int, ResponseSpec]:
    """The ``responses=`` of a handler: 400 plus ``statuses``, each with the
    error envelope ``body``. Written once here so every operation declares
    its errors the same way."""
    return {
        status: ResponseSpec(
            data_container=body, generate_examples=False, description=ERROR_MEANINGS.get(status, "Error")
        )
        for status in sorted({400, *statuses})
    }


#: The errors of every operation that takes an API key: a missing or wrong
#: key (401), a role too low (403), a field that is not valid (422).
KEYED = (401, 403, 422)


@dataclass
class PublicOperation(Operation):
    """An operation that needs no API key: ``security: []`` overrides the
    schema's default bearer requirement (Litestar's own ``security=[]`` on a
    handler is read as "nothing to add")."""

    def __post_init__(self) -> None:
        self.security = []


@dataclass
class PublicPageOperation(PublicOperation):
    """A public page that answers HTML to browsers and JSON to programs
    (``Accept: application/json``): every JSON answer is also HTML."""

    def __post_init__(self) -> None:
        super().__post_init__()
        for response in (self.responses or {}).values():
            content = getattr(response, "content", None)
            if content and "application/json" in content:
                content["text/html"] = MediaType(schema=Schema(type=OpenAPIType.STRING))


@dataclass
class PartUploadOperation(Operation):
    """``PUT /api/uploads/{id}/parts/{n}``: the body is the part's raw bytes."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="The part's bytes, exactly the size the upload's plan gives this part",
            content={"application/octet-stream": MediaType(schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY))},
        )


class NoncedRedocRenderPlugin(RedocRenderPlugin):
    """ReDoc, handing its run-time styles the page's style nonce (see
    :data:`hub.web.security_headers.STYLE_NONCE_SLOT`)."""

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        page = super().render(request, openapi_schema)
        options = b"{nonce:'" + STYLE_NONCE_SLOT + b"'}"  # Redoc.init(spec, options, element)
        return page.replace(b",undefined,document.getElementById", b"," + options + b",document.getElementById", 1)


ASSETS_DIR = Path(__file__).resolve().parent.parent / "web" / "static" / "openapi"
ASSETS_PATH = "/schema/assets"

DESCRIPTION = """\
The Continuata Hub API: the main API (`/api/...`, seeds "Products API" and
"Custom API Integration"), the JSON:API catalogue (`/api/v1`), product
downloads (`/api/v2`), and the buyer's download pages (`/download`).

Authenticate with an API key: `Authorization: Bearer ct_key_...`. Routes
marked with no security (the download pages, `/healthz`, `/readyz`) need none.

Envelope of the main API: `{"success": true, "data": {...}}` on success and
`{"success": false, "error": "..."}` on error. One exception, as the seed
shows it: `POST /api/generate-download-url` answers its fields flat beside
`success` (`productId`, `version`, `downloadToken`, `downloadUrl`, `expiresAt`).
"""


def openapi_config() -> OpenAPIConfig:
    """The schema at ``/schema/openapi.json`` (and ``.yaml``), browsable with
    Swagger UI at ``/schema`` and ``/schema/swagger`` and with ReDoc at
    ``/schema/redoc``, their scripts served by the hub (it works offline)."""
    return OpenAPIConfig(
        title="Continuata Hub",
        version=__version__,
        description=DESCRIPTION,
        path="/schema",
        components=Components(
            security_schemes={"apiKey": SecurityScheme(type="http", scheme="bearer", description="An API key")}
        ),
        security=[{"apiKey": []}],
        tags=[
            Tag(name="Products", description="Products, versions and download tokens (seed: Products API)"),
            Tag(name="Integration", description="Download links, purchases and reports (seed: Custom API Integration)"),
        ],
        render_plugins=[
            JsonRenderPlugin(),
            YamlRenderPlugin(),
            SwaggerRenderPlugin(
                path=["/", "/swagger"],
                js_url=f"{ASSETS_PATH}/swagger-ui/swagger-ui-bundle.js",
                css_url=f"{ASSETS_PATH}/swagger-ui/swagger-ui.css",
                standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui/swagger-ui-standalone-preset.js",
                favicon=f'<link rel="icon" type="image/png" href="{ASSETS_PATH}/swagger-ui/favicon-32x32.png">',
            ),
            NoncedRedocRenderPlugin(
                path="/redoc",
                js_url=f"{ASSETS_PATH}/redoc/redoc.standalone.js",
                google_fonts=False,
                favicon=f'<link rel="icon" type="image/png" href="{ASSETS_PATH}/swagger-ui/favicon-32x32.png">',
            ),
        ],
    )


def openapi_assets() -> Router:
    """The vendored Swagger UI and ReDoc files (their licences beside them)."""
    return create_static_files_router(path=ASSETS_PATH, directories=[ASSETS_DIR], include_in_schema=False)

"""A shop's logo and accent colour, as buyer pages load them.

- ``/logos/<sha256>``: the logo (:mod:`hub.services.shops`), addressed by
  its SHA-256, so the answer is cached for a year (``immutable``) with the
  hash as its strong ETag: a new logo has a new address. No organization id
  appears in the address: buyers never see one.
- ``/theme/<rrggbb>.css``: the accent colour as CSS custom properties, with
  the text colours that keep their contrast on it (pages allow no inline
  style that a template computes: :mod:`hub.web.security_headers`). The
  colour is the whole input, so it is cached for a year too.
"""

from __future__ import annotations

import re

from litestar import Request, Response, route
from litestar.enums import HttpMethod

from hub.errors import NotFound
from hub.services.shops import lighter_for_dark, logo_image, readable_on_white, text_on

YEAR = "public, max-age=31536000, immutable"
HEX = re.compile(r"^[0-9a-f]{6}$")


@route(
    "/logos/{sha256:str}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    summary="A shop's logo (public)",
    include_in_schema=False,
)
async def get_logo(request: Request, sha256: str) -> Response:
    etag = f'"{sha256}"'
    headers = {"ETag": etag, "Cache-Control": YEAR}
    found = await logo_image(sha256)
    if found is None:
        raise NotFound("Logo not found")
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(None, status_code=304, headers=headers)
    media_type, data = found
    return Response(data if request.method == "GET" else b"", media_type=media_type, headers=headers)


def theme_css(accent: str) -> str:
    """The stylesheet of the accent ``#rrggbb``: buttons in it with the text
    that contrasts most, links and focus rings in a shade that reads on the
    page's background, light or dark."""
    return (
        f":root {{ --accent: {accent}; --accent-fg: {text_on(accent)}; --accent-ink: {readable_on_white(accent)}; }}\n"
        "@media (prefers-color-scheme: dark) { :root { "
        f"--accent-ink: {lighter_for_dark(accent)}; }} }}\n"
    )


@route(
    "/theme/{file_name:str}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    summary="A shop's accent colour as CSS (public)",
    include_in_schema=False,
)
async def get_theme(request: Request, file_name: str) -> Response:
    colour = file_name.removesuffix(".css")
    if not file_name.endswith(".css") or not HEX.match(colour):
        raise NotFound("Theme not found")
    body = theme_css(f"#{colour}") if request.method == "GET" else ""
    return Response(body, media_type="text/css", headers={"Cache-Control": YEAR})


ROUTES = [get_logo, get_theme]

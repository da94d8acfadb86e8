"""The JSON:API v1 catalog surface (``/api/v1``).

Products (the same as ``/api/products``, seen as releases), the labels,
languages and product types they link to, their tracks, offers and rights,
and the company (the API key's organization). JSON:API 1.0 throughout:
content negotiation on every route, errors in the ``errors`` envelope
(:func:`jsonapi_error`, wired in :mod:`hub.app`). The public cover images
the products point to are served by :mod:`hub.web.covers`.
"""

from __future__ import annotations

from litestar import Router

from hub.api.v1.documents import negotiate
from hub.api.v1.errors import jsonapi_error, problems_handler
from hub.api.v1.parts import OfferController, RightController, TrackController
from hub.api.v1.products import ProductController
from hub.api.v1.resources import (
    LabelController,
    LanguageController,
    ProductTypeController,
    get_company,
)
from hub.errors import Problems
from hub.web.covers import get_cover

__all__ = ["ROUTES", "jsonapi_error"]

v1 = Router(
    path="/api/v1",
    route_handlers=[
        ProductController,
        LabelController,
        LanguageController,
        ProductTypeController,
        TrackController,
        OfferController,
        RightController,
        get_company,
    ],
    guards=[negotiate],
    # Several invalid inputs answer one 422 listing each; every other error
    # goes through the app's handler, which renders it with jsonapi_error.
    exception_handlers={Problems: problems_handler},
)

ROUTES: list = [v1, get_cover]

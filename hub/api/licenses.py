"""License keys on the main API.

- ``GET`` / ``PUT /api/products/{id}/license``: a product's license
  settings (API key).
- ``POST /api/licenses/activate``, ``/validate``, ``/deactivate``: the
  public license API the shop's software calls. No API key: the license key
  is the credential. Each call is rate-limited per key and per client
  address (429). Answers are the main API's envelope; ``validate`` always
  answers 200 with ``valid`` and a ``code``; a refused activation answers
  its ``code`` beside ``error`` (``ACTIVATION_LIMIT`` with the machines
  that hold the seats).

The work is :mod:`hub.services.licenses`'; docs/licenses.md is the guide.
"""

from __future__ import annotations

import base64
from typing import Any, cast

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from litestar import Controller, Request, Response, get, post, put
from litestar.openapi.datastructures import ResponseSpec

from hub import resources
from hub.api.openapi import KEYED, PublicOperation, errors
from hub.api.schemas import Answer, Wire, answer
from hub.client_ip import client_ip
from hub.context import Hub
from hub.services import licenses as license_service
from hub.services.accounts import Principal


class LicenseSettings(Wire):
    """A product's license settings: ``enabled`` false (the default) mints
    no keys. ``activationLimit`` null is unlimited; ``expiryDays`` null, no
    expiry; ``seatReleases``: machines a buyer may free on their own per key
    per 30 days."""

    product_id: str
    enabled: bool
    activation_limit: int | None
    expiry_days: int | None
    seat_releases: int


class LicenseSettingsIn(Wire):
    enabled: bool
    activation_limit: int | None = None
    expiry_days: int | None = None
    seat_releases: int | None = None


class LicenseSettingsAnswer(Answer):
    data: LicenseSettings


class LicenseProduct(Wire):
    id: str
    name: str


class LicenseCheck(Wire):
    """What a license call answers. ``code``: ``VALID``, ``NOT_FOUND``,
    ``EXPIRED``, ``REVOKED`` (refunded or charged back), ``ON_HOLD``
    (disputed), ``DISABLED`` (by the shop), ``NOT_ACTIVATED`` (the
    fingerprint is not one of the key's machines) or ``ACTIVATION_LIMIT``
    (more machines than the limit: the shop lowered it)."""

    valid: bool
    code: str
    license: resources.License | None
    product: LicenseProduct | None
    activation: resources.Activation | None
    """The machine the call named (by ``fingerprint``), when active."""


class LicenseCheckAnswer(Answer):
    data: LicenseCheck


class LicenseRefusal(Wire):
    """A refused license call: the envelope's ``success`` and ``error``, a
    stable ``code``, and for ``ACTIVATION_LIMIT`` the machines holding the
    seats (deactivate one by its ``id``). A request that is not valid (a
    field missing) answers the plain envelope, without ``code``."""

    success: bool
    error: str
    code: str | msgspec.UnsetType = msgspec.UNSET
    activations: list[resources.Activation] | msgspec.UnsetType = msgspec.UNSET


class ActivateIn(Wire):
    key: str
    fingerprint: str
    name: str | None = None


class ValidateIn(Wire):
    key: str
    fingerprint: str | None = None


class DeactivateIn(Wire):
    key: str
    fingerprint: str | None = None
    activation_id: str | None = None


class CheckoutIn(Wire):
    key: str
    fingerprint: str
    ttl: int | None = None


class LicenseFile(Wire):
    """An offline license file (``certificate``: paste it into a file the
    software reads) and what it carries, for the caller's convenience: the
    software must trust only what it verifies in the file."""

    certificate: str
    product_id: str
    fingerprint: str
    issued: str
    ttl: int
    check_in_by: str
    expiry: str | None


class LicenseFileAnswer(Answer):
    data: LicenseFile


class PublicKey(Wire):
    """An organization's public key for its offline license files: raw
    Ed25519 (32 bytes), base64; ``publicKeyPem`` the same as a PEM."""

    org_id: str
    algorithm: str
    public_key: str
    public_key_pem: str


class PublicKeyAnswer(Answer):
    data: PublicKey


def checked(verdict: license_service.Verdict) -> LicenseCheckAnswer:
    """The answer of a license call (built as its structs: validate's hot path)."""
    key = verdict.key
    product = verdict.product
    return LicenseCheckAnswer(
        success=True,
        data=LicenseCheck(
            valid=verdict.valid,
            code=verdict.code,
            license=resources.license(key, product["slug"]) if key and product else None,
            product=LicenseProduct(id=product["slug"], name=product["name"]) if product else None,
            activation=resources.activation(verdict.activation) if verdict.activation else None,
        ),
    )


def refused(refusal: license_service.LicenseRefused) -> Response[LicenseCheckAnswer]:
    """The refusal's answer at its status (the schema declares its body,
    :class:`LicenseRefusal`, for each of those statuses)."""
    body = LicenseRefusal(
        success=False,
        error=refusal.message,
        code=refusal.code,
        activations=[resources.activation(m) for m in refusal.activations],
    )
    return Response(cast(LicenseCheckAnswer, body), status_code=refusal.status_code)


def _settings(product: dict[str, Any], policy: license_service.Policy) -> LicenseSettingsAnswer:
    return answer(
        LicenseSettingsAnswer,
        {
            "productId": product["slug"],
            "enabled": policy.enabled,
            "activationLimit": policy.activation_limit,
            "expiryDays": policy.expiry_days,
            "seatReleases": policy.seat_releases,
        },
    )


class LicenseSettingsController(Controller):
    path = "/api/products/{product_id:str}/license"
    tags = ["Licenses"]

    @get("/", summary="A product's license settings", operation_id="getProductLicense", responses=errors(*KEYED, 404))
    async def get_settings(self, principal: Principal, product_id: str) -> LicenseSettingsAnswer:
        product, policy = await license_service.get_policy(principal.org, product_id)
        return _settings(product, policy)

    @put(
        "/",
        summary="Turn license keys on or off for a product, with their activation limit and expiry",
        description="Keys already minted keep the limit and expiry they were minted with.",
        operation_id="setProductLicense",
        responses=errors(*KEYED, 404),
    )
    async def set_settings(self, hub: Hub, principal: Principal, product_id: str, data: LicenseSettingsIn) -> LicenseSettingsAnswer:
        product, policy = await license_service.set_policy(
            hub,
            principal.org,
            product_id,
            license_service.Policy(
                enabled=data.enabled,
                activation_limit=data.activation_limit,
                expiry_days=data.expiry_days,
                seat_releases=license_service.DEFAULT_SEAT_RELEASES if data.seat_releases is None else data.seat_releases,
            ),
        )
        return _settings(product, policy)


REFUSALS = {
    403: ResponseSpec(data_container=LicenseRefusal, generate_examples=False,
                      description="The key is revoked, on hold, disabled or expired (`code` says which)"),
    404: ResponseSpec(data_container=LicenseRefusal, generate_examples=False,
                      description="No such key (`NOT_FOUND`), or no such activation (`NOT_ACTIVATED`)"),
    422: ResponseSpec(data_container=LicenseRefusal, generate_examples=False,
                      description="`ACTIVATION_LIMIT`: every seat is taken (`activations` lists the machines); "
                      "on checkout, `NOT_ACTIVATED`: the machine is not activated"),
}


class LicenseController(Controller):
    path = "/api/licenses"
    tags = ["Licenses"]

    @post(
        "/activate",
        summary="Activate a license key on a machine (no API key: the license key is the credential)",
        description="Idempotent: activating a machine already active answers 200 again (its name and last "
        "seen time are updated). The limit + 1st machine is refused with 422 `ACTIVATION_LIMIT` and the "
        "machines holding the seats. Rate-limited per key and per client address (429).",
        operation_id="activateLicense",
        operation_class=PublicOperation,
        status_code=200,
        responses={**errors(429), **REFUSALS},
    )
    async def activate(self, hub: Hub, request: Request, data: ActivateIn) -> Response[LicenseCheckAnswer]:
        try:
            verdict = await license_service.activate(hub, data.key, data.fingerprint, data.name, client_ip(request))
        except license_service.LicenseRefused as refusal:
            return refused(refusal)
        return Response(checked(verdict))

    @post(
        "/validate",
        summary="Check a license key (and a machine): always 200 with `valid` and a `code`",
        description="No API key. `code` is `VALID`, `NOT_FOUND`, `EXPIRED`, `REVOKED`, `ON_HOLD`, `DISABLED`, "
        "`NOT_ACTIVATED` (the fingerprint is not activated) or `ACTIVATION_LIMIT`. Counts nothing: "
        "validating as often as the software likes uses no seat. Rate-limited per key and per address (429).",
        operation_id="validateLicense",
        operation_class=PublicOperation,
        status_code=200,
        responses=errors(422, 429),
    )
    async def validate(self, hub: Hub, request: Request, data: ValidateIn) -> LicenseCheckAnswer:
        return checked(await license_service.validate(hub, data.key, data.fingerprint, client_ip(request)))

    @post(
        "/checkout",
        summary="An offline license file for an activated machine, signed with the shop's Ed25519 key",
        description="No API key. The file carries the product, key, fingerprint, the license's expiry and "
        "`checkInBy` (issued + `ttl` seconds, default 14 days): after it, the software should check in again. "
        "Verify it with the public key of `GET /api/licenses/public-key` (docs/licenses.md; both SDKs).",
        operation_id="checkoutLicense",
        operation_class=PublicOperation,
        status_code=200,
        responses={**errors(429), **REFUSALS},
    )
    async def checkout(self, hub: Hub, request: Request, data: CheckoutIn) -> Response[LicenseFileAnswer]:
        try:
            certificate, payload = await license_service.checkout(hub, data.key, data.fingerprint, data.ttl, client_ip(request))
        except license_service.LicenseRefused as refusal:
            return cast(Response[LicenseFileAnswer], refused(refusal))
        return Response(
            answer(
                LicenseFileAnswer,
                {
                    "certificate": certificate,
                    "productId": payload["product"]["id"],
                    "fingerprint": payload["fingerprint"],
                    "issued": payload["issued"],
                    "ttl": payload["ttl"],
                    "checkInBy": payload["checkInBy"],
                    "expiry": payload["expiry"],
                },
            )
        )

    @get(
        "/public-key",
        summary="The shop's public key for verifying its offline license files",
        operation_id="getLicensePublicKey",
        operation_class=PublicOperation,
        responses=errors(404, 422),
    )
    async def public_key(self, hub: Hub, org: str) -> PublicKeyAnswer:
        raw = await license_service.public_key(hub, org)
        pem = Ed25519PublicKey.from_public_bytes(base64.b64decode(raw)).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return answer(
            PublicKeyAnswer,
            {"orgId": org, "algorithm": "ed25519", "publicKey": raw, "publicKeyPem": pem.decode()},
        )

    @post(
        "/deactivate",
        summary="Free a machine's seat, by its fingerprint or its activation id",
        operation_id="deactivateLicense",
        operation_class=PublicOperation,
        status_code=200,
        responses={**errors(422, 429), **{404: REFUSALS[404]}},
    )
    async def deactivate(self, hub: Hub, request: Request, data: DeactivateIn) -> Response[LicenseCheckAnswer]:
        try:
            verdict = await license_service.deactivate(
                hub, data.key, data.fingerprint, data.activation_id, client_ip(request)
            )
        except license_service.LicenseRefused as refusal:
            return refused(refusal)
        return Response(checked(verdict))

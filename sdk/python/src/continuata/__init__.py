"""Continuata Hub's Python SDK.

>>> import continuata
>>> client = continuata.Client(api_key="ct_key_…", org_id="audio-company")  # base URL: CONTINUATA_API_URL
>>> token = client.products.create_token(product_id="epic-drums-v1", customer_email="buyer@example.com")
>>> token.download_url
"""

from continuata._upload import manifest_of
from continuata.client import AsyncClient, Client, __version__
from continuata.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    AuthenticationError,
    ConflictError,
    ContinuataError,
    InternalServerError,
    LicenseFileError,
    NotFoundError,
    OrganizationMismatchError,
    PermissionDeniedError,
    RateLimitError,
    UploadError,
    ValidationError,
    WebhookVerificationError,
)
from continuata.licenses import LicenseFile, verify_license_file
from continuata.models import (
    DeliveryAttempt,
    DownloadUrl,
    License,
    Me,
    Organization,
    Page,
    Pagination,
    Product,
    Purchase,
    PurchaseResult,
    PurchaseToken,
    ShopOrganization,
    Token,
    Upload,
    UploadProgress,
    Version,
    VersionFile,
    WebhookDelivery,
    WebhookEndpoint,
)
from continuata.webhooks import EVENT_TYPES, WebhookEventType, sign_webhook, verify_webhook

__all__ = [
    "EVENT_TYPES", "APIConnectionError", "APIError", "APIStatusError", "AsyncClient", "AuthenticationError", "Client",
    "ConflictError", "ContinuataError", "DeliveryAttempt", "DownloadUrl", "InternalServerError", "License", "LicenseFile", "LicenseFileError", "Me", "NotFoundError",
    "Organization", "OrganizationMismatchError", "Page", "Pagination", "PermissionDeniedError", "Product", "ShopOrganization",
    "Purchase", "PurchaseResult", "PurchaseToken", "RateLimitError", "Token", "Upload", "UploadError",
    "UploadProgress", "ValidationError", "Version", "VersionFile", "WebhookDelivery", "WebhookEndpoint",
    "WebhookEventType", "WebhookVerificationError", "__version__", "manifest_of", "sign_webhook", "verify_license_file", "verify_webhook",
]

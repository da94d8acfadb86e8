"""The shop console at ``/console``: server-rendered pages where shop owners
see what happened and fix it.

One small module per area (sign-in, overview, settings...), each a thin
controller over the services in :mod:`hub.services`. Every answer carries
the console's security headers (:mod:`hub.console.security`).
"""

from __future__ import annotations

from pathlib import Path

from litestar import Request, Response, Router
from litestar.di import Provide
from litestar.static_files import create_static_files_router

from hub.console.account import AccountController
from hub.console.audit_log import AuditLogController
from hub.console.auth import NotSignedIn, SignInController, login_page, login_redirect, provide_console
from hub.console.customers import CustomersController
from hub.console.downloads import DownloadsController
from hub.console.integrations import EmailSettingsController, PaymentsController
from hub.console.keys import ApiKeysController
from hub.console.licenses import LicensesController
from hub.console.links import LinksController, SendController
from hub.console.members import InvitationController, MembersController
from hub.console.overview import OverviewController
from hub.console.pages import render
from hub.console.password_reset import PasswordResetController
from hub.console.problems import ProblemsController
from hub.console.products import ConsoleUploadsController, ProductsController
from hub.console.purchases import PurchasesController
from hub.console.security import add_security_headers, after_console_request, console_csrf
from hub.console.shop import ShopSettingsController

STATIC_DIR = Path(__file__).resolve().parent / "static"


def console_router() -> Router:
    return Router(
        path="/console",
        route_handlers=[
            SignInController,
            PasswordResetController,
            AccountController,
            OverviewController,
            ProductsController,
            ConsoleUploadsController,
            PurchasesController,
            LinksController,
            CustomersController,
            SendController,
            ProblemsController,
            DownloadsController,
            LicensesController,
            ApiKeysController,
            AuditLogController,
            MembersController,
            PaymentsController,
            EmailSettingsController,
            ShopSettingsController,
            InvitationController,
            create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False),
        ],
        dependencies={"console": Provide(provide_console)},
        middleware=[console_csrf()],
        after_request=after_console_request,
        include_in_schema=False,
    )


def console_error(request: Request, status: int, message: str, problems: list) -> Response:
    """Errors in the console are pages (or the sign-in page, when signed out)."""
    hub = request.app.state.hub
    if "application/json" in request.headers.get("accept", ""):
        # The upload script's requests: errors it can show, in the main
        # API's envelope (the script drives the main API too).
        return add_security_headers(
            Response({"success": False, "error": message, "problems": problems}, status_code=status)
        )
    on_login = request.url.path.rstrip("/") == "/console/login"
    if status in (401, 403, 429) and on_login:
        response = login_page(hub, request, status=status, error=message)
    elif status == 401:
        response = login_redirect(request)
    else:
        response = render(hub, "console/error.html", status=status, status_code=status, message=message)
    return add_security_headers(response)


__all__ = ["NotSignedIn", "console_error", "console_router"]

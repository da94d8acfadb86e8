"""Customers: buyers by email address (purchases, what they paid per
currency, last purchase) and a customer's page with every purchase."""

from __future__ import annotations

from litestar import Controller, Response, get

from hub.console.auth import Console
from hub.console.pages import page
from hub.context import Hub
from hub.errors import NotFound
from hub.services import customers


class CustomersController(Controller):
    path = "/customers"

    @get("/")
    async def customers(self, hub: Hub, console: Console, q: str = "", offset: int = 0) -> Response:
        rows, total = await customers.list_customers(console.org, search=q, offset=offset)
        return page(
            hub, console, "console/customers.html", title="Customers", section="customers", customers=rows,
            total=total, offset=max(0, offset), page_size=customers.PAGE_SIZE, query={"q": q},
        )

    @get("/{email:str}")
    async def customer(self, hub: Hub, console: Console, email: str) -> Response:
        found = await customers.customer(console.org, email)
        if found is None:
            raise NotFound(f"No purchase by {email[:320]}")
        return page(hub, console, "console/customer.html", title=found["email"], section="customers", customer=found)

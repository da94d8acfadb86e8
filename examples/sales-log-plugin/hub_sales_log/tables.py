"""The plugin's own table: one row per sale.

Its name starts with the plugin's (``sales_log_``) so it never collides with
the hub's tables (``hub_…``) or another plugin's. A change to it needs a new
migration in ``migrations/``.
"""

from piccolo.columns import BigInt, Integer, Timestamptz, Varchar
from piccolo.table import Table


class Sale(Table, tablename="sales_log_sale"):
    """A purchase the hub recorded, as the plugin keeps it."""

    purchase = Varchar(length=40, unique=True)  # the purchase's id: a replayed event adds nothing
    org = Varchar(length=64, index=True)
    provider = Varchar(length=40)
    amount = BigInt(null=True, default=None)
    currency = Varchar(length=10, default="")
    tokens = Integer(default=0)
    recorded_at = Timestamptz()

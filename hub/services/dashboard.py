"""What the console's overview shows: sales and downloads per day over the
last 30 days, revenue per currency, and how many problems are open.

Counted in Python over the period's rows (a few columns each): the same
code on SQLite and PostgreSQL, and quick for a shop's month of sales.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from hub.clock import UTC, as_aware, utcnow
from hub.tables import DownloadSession, OutboxMessage, Purchase

DAYS = 30


def _days(today: date) -> list[date]:
    return [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]


async def overview(org: str) -> dict[str, Any]:
    today = utcnow().date()
    days = _days(today)
    start = datetime.combine(days[0], time.min, UTC)
    purchases = await Purchase.select(Purchase.created_at, Purchase.amount, Purchase.currency, Purchase.status).where(
        Purchase.org == org, Purchase.created_at >= start
    )
    sessions = await DownloadSession.select(DownloadSession.started_at).where(
        DownloadSession.org == org, DownloadSession.started_at >= start
    )
    sales = Counter(as_aware(p["created_at"]).date() for p in purchases)
    downloads = Counter(as_aware(s["started_at"]).date() for s in sessions)
    revenue: dict[str, int] = defaultdict(int)
    for p in purchases:
        if p["amount"] is not None and p["status"] == "paid":
            revenue[(p["currency"] or "?").upper()] += p["amount"]
    unfulfilled = await Purchase.count().where(Purchase.org == org, Purchase.problem != "", Purchase.status == "paid")
    failed_emails = await OutboxMessage.count().where(OutboxMessage.org == org, OutboxMessage.status == "failed")
    return {
        "days": [{"day": d, "sales": sales.get(d, 0), "downloads": downloads.get(d, 0)} for d in days],
        "sales_total": len(purchases),
        "downloads_total": len(sessions),
        "revenue": dict(sorted(revenue.items())),
        "unfulfilled": unfulfilled,
        "failed_emails": failed_emails,
    }


def chart(days: list[dict[str, Any]], width: int = 720, height: int = 192) -> dict[str, Any]:
    """Coordinates for the server-drawn SVG chart: sales as bars, downloads
    as a line, on one scale.

    The plot stretches to the page's width at a fixed height (``height``
    CSS pixels), so its labels are drawn outside it, unscaled: the value
    ticks in a column of their own (``ticks`` at ``y`` pixels from the top)
    and the first and last day in HTML below. Scaled with the plot, they
    shrank to a few pixels on a phone."""
    pad_bottom, pad_top = 6, 10
    plot_h = height - pad_bottom - pad_top
    peak = max([1] + [d["sales"] for d in days] + [d["downloads"] for d in days])
    step = width / len(days)
    bars, points = [], []
    for i, d in enumerate(days):
        x = i * step
        bar_h = plot_h * d["sales"] / peak
        bars.append({"x": round(x + step * 0.15, 1), "y": round(pad_top + plot_h - bar_h, 1), "w": round(step * 0.7, 1),
                     "h": round(bar_h, 1), "label": f"{d['day']:%d %b}: {d['sales']} sales, {d['downloads']} downloads"})
        points.append(f"{round(x + step / 2, 1)},{round(pad_top + plot_h - plot_h * d['downloads'] / peak, 1)}")
    ticks = sorted({0, peak // 2, peak})
    return {
        "width": width, "height": height, "bars": bars, "line": " ".join(points),
        "ticks": [{"value": t, "y": round(pad_top + plot_h - plot_h * t / peak, 1)} for t in ticks],
        "first": f"{days[0]['day']:%d %b}", "last": f"{days[-1]['day']:%d %b}",
    }

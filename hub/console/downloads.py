"""Downloads: sessions with filters, and the CSV report."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.response import Stream

from hub.console.auth import Console
from hub.console.pages import page
from hub.context import Hub
from hub.services import download_log, reports


class DownloadsController(Controller):
    path = "/downloads"

    @get("/")
    async def sessions(
        self, hub: Hub, console: Console, product: str = "", email: str = "", since: str = "", until: str = "",
        offset: int = 0,
    ) -> Response:
        rows, total = await download_log.list_sessions(
            console.org, product=product, email=email, since=since, until=until, offset=offset
        )
        return page(
            hub, console, "console/downloads.html", title="Downloads", section="downloads", sessions=rows, total=total,
            offset=offset, page_size=download_log.PAGE_SIZE,
            query={"product": product, "email": email, "since": since, "until": until},
        )

    @get("/report.csv")
    async def report(self, console: Console, since: str = "", until: str = "") -> Stream:
        start, end = reports.parse_day(since or None, "since"), reports.parse_day(until or None, "until")
        lines = await reports.download_sessions_csv(console.org, start, end)
        return Stream(
            lines, media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="download-sessions-{start or "all"}-{end or "all"}.csv"'},
        )

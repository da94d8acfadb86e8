"""Write the schema snapshots of a release: ``python -m tests.migrations.snapshot 0.2.0``.

Run it when a release is made, from the release's commit, with
``HUB_TEST_POSTGRES_URL`` set (and ``pg_dump`` installed): it migrates an
empty SQLite file and an empty PostgreSQL database with every migration
there is and writes ``snapshots/<release>-sqlite.sql`` and
``snapshots/<release>-postgres.sql`` (the schema and piccolo's list of
applied migrations). Then point ``PREVIOUS_RELEASE`` in
``tests/migrations/test_migrations.py`` at it: from then on every new
migration is tested from that release's database too.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.databases import drop_database, migrate_url, recreate_database, worker_database_name

SNAPSHOTS = Path(__file__).parent / "snapshots"


def sqlite_snapshot() -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hub.sqlite3"
        migrate_url(f"sqlite:///{path}")
        connection = sqlite3.connect(path)
        try:
            return "\n".join(connection.iterdump()) + "\n"
        finally:
            connection.close()


def postgres_snapshot(admin_url: str) -> str:
    name = worker_database_name(admin_url) + "_snapshot"
    url = recreate_database(admin_url, name)
    try:
        migrate_url(url)
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "--no-privileges", "--inserts", "--dbname", url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        drop_database(admin_url, name)
    # psql's meta-commands (\restrict…) are not SQL; the loader runs SQL.
    return "".join(line for line in dump.splitlines(keepends=True) if not line.startswith("\\"))


def main(release: str) -> None:
    admin_url = os.environ.get("HUB_TEST_POSTGRES_URL")
    if not admin_url:
        sys.exit("HUB_TEST_POSTGRES_URL must name a PostgreSQL database (the snapshot is made beside it)")
    SNAPSHOTS.mkdir(exist_ok=True)
    (SNAPSHOTS / f"{release}-sqlite.sql").write_text(sqlite_snapshot())
    (SNAPSHOTS / f"{release}-postgres.sql").write_text(postgres_snapshot(admin_url))
    print(f"wrote {SNAPSHOTS}/{release}-sqlite.sql and {release}-postgres.sql")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

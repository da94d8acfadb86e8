"""piccolo's configuration module (``PICCOLO_CONF=hub.piccolo_conf``).

It serves piccolo's own command line (``piccolo migrations new hub --auto``,
``piccolo migrations check``) and piccolo's migration runner when the hub
migrates (:meth:`hub.db.Database.migrate`). ``DB`` is looked up when piccolo
asks for it, never built at import: the engine a running migration uses, or
else one from ``HUB_DATABASE_URL`` (default ``sqlite:///data/hub.sqlite3``,
its folder created at the first connection).
"""

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(apps=["hub.piccolo_app"])


def __getattr__(name: str):
    if name == "DB":
        from hub.db.engines import migration_engine

        return migration_engine()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

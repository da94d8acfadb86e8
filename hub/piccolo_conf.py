"""piccolo's configuration module (``PICCOLO_CONF=hub.piccolo_conf``).

``DB`` is replaced at run time by :func:`hub.db.use_engine`, which builds the
engine from the hub's settings; the value here only serves piccolo's own
command line (``piccolo migrations new hub --auto``) during development.
"""

import os

from piccolo.conf.apps import AppRegistry

from hub.db import engine_from_url

DB = engine_from_url(os.environ.get("HUB_DATABASE_URL", "sqlite:///data/hub.sqlite3"))

APP_REGISTRY = AppRegistry(apps=["hub.piccolo_app"])

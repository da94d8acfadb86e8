"""The Products API document's Python example, run verbatim against a real hub.

The snippet below is copied character for character from the seed
(continuata-products-api.txt, "SDK Examples", Python). The document's
snippet uses ``os`` without importing it, so it is run with ``os`` in its
namespace, the one thing the document leaves to its reader.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from datetime import UTC, datetime, timedelta

import httpx

SEED_PYTHON_EXAMPLE = """\
import continuata
from datetime import datetime, timedelta
client = continuata.Client(
api_key=os.environ['CONTINUATA_API_KEY'],
org_id='your-org-id'
)
# Generate download token
token = client.products.create_token(
product_id='epic-drums-v1',
customer_email='customer@example.com',
expires_at=datetime.now() + timedelta(days=30),
metadata={
'order_id': 'order_123',
'source': 'python_app'
}
)
print(f"Download URL: {token.download_url}")
"""


def test_the_seed_python_example_runs_as_written(hub_env):
    printed = io.StringIO()
    namespace: dict = {"os": os}
    with contextlib.redirect_stdout(printed):
        exec(compile(SEED_PYTHON_EXAMPLE, "seed-example.py", "exec"), namespace)

    match = re.fullmatch(rf"Download URL: ({re.escape(hub_env.url)}/download\?token=(ct_download_\S+))\n", printed.getvalue())
    assert match, printed.getvalue()
    token = namespace["token"]
    assert token.token == match.group(2)
    assert token.product.id == "epic-drums-v1" and token.product.version == "1.0.0"
    assert abs(token.expires_at - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
    assert token.metadata == {"order_id": "order_123", "source": "python_app"}

    page = httpx.get(match.group(1), headers={"Accept": "application/json"})
    assert page.status_code == 200, page.text
    assert "kick.wav" in page.text

"""``continuata-hub licenses import``: keys from another system, each kept as
it was (the buyer's software keeps working), imported once however often
the file is imported (on SQLite and PostgreSQL)."""

from __future__ import annotations

from hub.testing.app import make_app, running
from hub.testing.products import ready_product
from tests.console.conftest import browser_of
from tests.console.test_cli import cli

CSV = """Key,Email,Product,Activations Used
GUM-1111-AAAA-2222,Buyer@Example.com,synth-pro,2
lemon-3f2a9c1e-77aa-4d2b,other@example.com,synth-pro,0
EDD-OVER-LIMIT,third@example.com,synth-pro,9
BAD-EMAIL,not-an-email,synth-pro,1
NO-PRODUCT,x@example.com,no-such-product,0
BAD-COUNT,y@example.com,synth-pro,lots
"""


async def test_importing_keys_from_another_system_keeps_them_working_once(settings, tmp_path):
    init = cli(settings, "init", "--org", "shop")
    assert init.returncode == 0, init.stderr
    headers = {"Authorization": f"Bearer {init.stdout.strip().splitlines()[-1]}"}
    app = make_app(settings, entry_points="none")
    async with running(app), browser_of(app) as client:
        await ready_product(client, headers, "synth-pro", name="Synth Pro")
        refused = cli(settings, "licenses", "import", "--org", "shop", str(_write(tmp_path, CSV)))
        assert refused.returncode == 1 and "no license settings" in refused.stderr
        settings_on = {"enabled": True, "activationLimit": 3}
        assert (await client.put("/api/products/synth-pro/license", json=settings_on, headers=headers)).status_code == 200

        done = cli(settings, "licenses", "import", "--org", "shop", str(_write(tmp_path, CSV)))
        assert done.returncode == 1  # some rows refused, each named
        assert "3 license key(s) imported, 0 already imported, 3 refused." in done.stdout, done.stdout + done.stderr
        assert "line 5: not imported:" in done.stderr and "line 6: not imported: Product no-such-product not found" in done.stderr
        assert "line 7: not imported: activations must be a whole number" in done.stderr
        assert "line 4: 9 activations used, more than the limit of 3: kept 3" in done.stderr

        again = cli(settings, "licenses", "import", "--org", "shop", str(_write(tmp_path, CSV)))
        assert "0 license key(s) imported, 3 already imported, 3 refused." in again.stdout

        answer = (await client.post("/api/licenses/validate", json={"key": "gum-1111-aaaa-2222"})).json()["data"]
        assert answer["code"] == "VALID" and answer["license"]["activations"] == 2
        assert answer["license"]["customerEmail"] == "buyer@example.com" and answer["license"]["purchaseId"] is None
        # Two seats of three are taken by the old system's machines: one left.
        assert (await client.post("/api/licenses/activate", json={"key": "GUM-1111-AAAA-2222", "fingerprint": "new"})).status_code == 200
        over = await client.post("/api/licenses/activate", json={"key": "GUM-1111-AAAA-2222", "fingerprint": "newer"})
        assert over.status_code == 422 and "Imported activation 1" in over.json()["error"]
        # An imported machine is freed like any other.
        freed = await client.post("/api/licenses/deactivate", json={"key": "GUM-1111-AAAA-2222", "fingerprint": "imported-1"})
        assert freed.status_code == 200, freed.text
        lemon = await client.post("/api/licenses/validate", json={"key": "LEMON-3F2A9C1E-77AA-4D2B"})
        assert lemon.json()["data"]["code"] == "VALID"


async def test_a_file_without_the_columns_is_refused_in_words(settings, tmp_path):
    assert cli(settings, "init", "--org", "shop").returncode == 0
    done = cli(settings, "licenses", "import", "--org", "shop", str(_write(tmp_path, "serial,mail\nA,b@example.com\n")))
    assert done.returncode == 1 and "needs a header row naming the columns key, email, product" in done.stderr
    missing = cli(settings, "licenses", "import", "--org", "shop", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr


def _write(tmp_path, text: str):
    path = tmp_path / "keys.csv"
    path.write_text(text)
    return path

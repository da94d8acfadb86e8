"""The README's first product works as written: its shell block, run in an
empty folder against a running hub, makes the example folder, the product,
the version and a buyer's link, and that link's page lists the folder's
files under the shop's name."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.server import hub_server

README = Path(__file__).resolve().parents[1] / "README.md"


def first_product_script() -> str:
    text = README.read_text()
    section = text[text.index("## A first product, end to end"):]
    return re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's commands use curl")
def test_the_readme_first_product_runs_as_written(tmp_path):
    script = first_product_script()
    # The hub of this test stands in for the README's: its address and key.
    script = re.sub(r"^export HUB_API_KEY=.*$", "", script, flags=re.MULTILINE)
    script = re.sub(r"^export HUB_API_URL=.*$", "", script, flags=re.MULTILINE)
    script = script.replace(". .venv/bin/activate", "")
    work = tmp_path / "shop"
    work.mkdir()
    with hub_server(tmp_path / "hub", org="my-shop") as server:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("HUB_")},
            "HUB_API_KEY": server.admin_key,
            "HUB_API_URL": server.url,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }
        done = subprocess.run(["bash", "-e", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        link = answer["data"]["token"]["downloadUrl"]
        page = httpx.get(link, headers={"Accept": "application/json"}).json()["data"]
    assert sorted(f["path"] for f in page["files"]) == ["Kicks/Kick_01.wav", "README.txt", "Snares/Snare_01.wav"]
    assert (work / "epic-drums" / "Kicks" / "Kick_01.wav").stat().st_size == 200000

"""``continuata-hub serve --workers N``: several processes on one port, on SQLite too."""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.support.server import free_port, hub_command, run_cli


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def test_two_processes_share_the_port_and_the_sqlite_database(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(tmp_path / "data"), HUB_PUBLIC_URL=url, HUB_SECRET_KEY="workers-secret", HUB_LOG_LEVEL="info")
    key = run_cli(env, tmp_path, "init", "--org", "shop").stdout.strip().splitlines()[-1]
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        hub_command("serve", "--port", str(port), "--workers", "2"), env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200 and len(_children(server.pid)) >= 2:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)

        def create(n: int) -> int:
            answer = httpx.post(
                f"{url}/api/products", json={"name": f"Kit {n}", "slug": f"kit-{n}"},
                headers={"Authorization": f"Bearer {key}"}, timeout=30,
            )
            return answer.status_code

        with ThreadPoolExecutor(8) as pool:  # writes through both processes at once
            assert set(pool.map(create, range(24))) == {201}
        listed = httpx.get(f"{url}/api/products?limit=100", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
        assert listed["data"]["pagination"]["total"] == 24
    finally:
        server.terminate()
        server.wait(20)
        log.close()
    text = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in text, text


def test_workers_must_be_positive(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(tmp_path / "data"), HUB_SECRET_KEY="workers-secret")
    done = subprocess.run(hub_command("serve", "--workers", "0"), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--workers must be 1 or more" in done.stderr

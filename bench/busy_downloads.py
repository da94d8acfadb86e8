"""Downloads as a busy shop sees them: the server's CPU per GiB, against nginx.

    .venv/bin/python bench/busy_downloads.py               # 4 curls at once, 256 MiB each, 5 rounds
    .venv/bin/python bench/busy_downloads.py --rounds 10 --size-mib 256 --clients 4

``bench/downloads.py`` streams 1 GiB files in long phases: it measures the
sendfile loop. A shop's downloads are shorter and start often, so every
download's own work (the token's session, the spent download, its events,
the delivery of those events by the worker running inside ``serve``) weighs
more. Here, ``--clients`` ``curl`` processes at once each fetch one
``--size-mib`` file over loopback, ``--rounds`` times; measured for the
hub (``continuata-hub serve`` as shipped) and for nginx with ``sendfile on``
serving the very same blob file:

- the server's CPU seconds per GiB served, for its **whole process tree**
  (utime + stime from ``/proc``, the server and every descendant, measured
  from just before the first round until the server is quiet again after
  the last, so work a download leaves behind counts);
- the same server's CPU while idle for as long (its background: polling),
  shown so the two causes separate;
- the ratio hub / nginx (target <= 1.3x), printed MET or MISSED.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    CACHE,
    ForeignLoad,
    GiB,
    MiB,
    Server,
    ServerSpec,
    cpu_seconds,
    ensure_file,
    exit_cleanly_on_termination,
    free_port,
    hub_env,
    machine_line,
    need,
    server_versions,
    setup_hub,
    table,
    verdict,
    wait_quiet,
    warm_page_cache,
)

NGINX_CONF = """\
worker_processes 1;
user root;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 30;
    access_log {dir}/nginx-access.log;
    default_type application/octet-stream;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        location = / {{ return 200 "ok"; }}
        location /files/ {{ alias {root}/; }}
    }}
}}
"""


def curl(url: str, size: int) -> str | None:
    """One full download to /dev/null; an error text, or None when every byte came."""
    r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", url],
                       capture_output=True, text=True)
    if r.returncode != 0 or r.stdout.strip() != f"200 {size}":
        return f"curl {url}: exit {r.returncode}, {r.stdout.strip()!r} {r.stderr.strip()[:200]}"
    return None


def settle(pid: int, quiet_for: float = 0.5, limit: float = 10.0) -> None:
    """Wait until ``pid``'s tree spends no CPU for ``quiet_for`` seconds (work a
    download leaves behind: its events, their delivery)."""
    deadline = time.monotonic() + limit
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(quiet_for)
        now = cpu_seconds(pid)
        if now - last < 0.005:
            return
        last = now


def measure(server: Server, url: str, size: int, args: argparse.Namespace) -> tuple[float, float, float, list[str]]:
    """(CPU s per GiB while downloading, CPU s per GiB-time when idle, seconds, errors)."""
    errors: list[str] = []
    done = 0
    pid = server.pid
    with ForeignLoad(pid), ThreadPoolExecutor(args.clients) as pool:
        cpu0, t0 = cpu_seconds(pid), time.perf_counter()
        for _ in range(args.rounds):
            for err in pool.map(lambda _: curl(url, size), range(args.clients)):
                if err:
                    errors.append(err)
                else:
                    done += size
        elapsed = time.perf_counter() - t0
        settle(pid)
        busy = cpu_seconds(pid) - cpu0
    # The same server, idle for as long as the downloads took: its background.
    cpu1 = cpu_seconds(pid)
    time.sleep(elapsed)
    idle = cpu_seconds(pid) - cpu1
    gib = done / GiB if done else float("nan")
    return busy / gib, idle / gib, elapsed, errors


def main() -> int:
    exit_cleanly_on_termination()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reps", type=int, default=3, help="measurements per server, taken in turns")
    parser.add_argument("--wait-quiet", type=float, default=10.0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    need("curl", "apt-get install -y curl")
    nginx = need("nginx", "apt-get install -y nginx-light")
    print(f"Machine: {machine_line()}")
    print(f"Stack:   {server_versions()}")
    size = args.size_mib * MiB
    work = Path(tempfile.mkdtemp(prefix="hub-busy-downloads-"))
    servers: list[Server] = []
    try:
        folder = CACHE / f"busy-{args.size_mib}m"
        ensure_file(folder / "pack.bin", size)
        print("setting up a hub (init, product, CLI upload, token) ...", flush=True)
        setup = setup_hub(work, f"sqlite:///{work / 'hubdata' / 'hub.sqlite3'}", folder, work / "setup.log")
        blob = setup.files["pack.bin"]["blob"]
        port = free_port()
        hub = Server("hub", ServerSpec().command("hub", port), hub_env(setup.data_dir, setup.database_url, port),
                     port, work / "hub.log", health="/healthz").start()
        servers.append(hub)
        ndir = work / "nginx"
        (ndir / "tmp").mkdir(parents=True)
        nport = free_port()
        (ndir / "nginx.conf").write_text(NGINX_CONF.format(dir=ndir, port=nport, root=blob.parent))
        ngx = Server("nginx", [nginx, "-p", str(ndir), "-c", str(ndir / "nginx.conf"), "-g", "daemon off;"],
                     dict(os.environ), nport, work / "nginx.log").start()
        servers.append(ngx)
        targets = {
            "hub (continuata-hub serve)": (hub, f"{hub.url}{setup.files['pack.bin']['url']}"),
            "nginx sendfile (1 worker)": (ngx, f"{ngx.url}/files/{blob.name}"),
        }
        warm_page_cache(blob)
        results: dict[str, list[tuple[float, float, float, list[str]]]] = {name: [] for name in targets}
        for rep in range(args.reps):
            for name, (server, url) in targets.items():
                if args.wait_quiet:
                    wait_quiet(args.wait_quiet, tuple(s.pid for s in servers))
                run = measure(server, url, size, args)
                results[name].append(run)
                print(f"{rep + 1}/{args.reps} {name}: {run[0]:.3f} CPU s/GiB downloading, {run[1]:.3f} idle, "
                      f"{run[2]:.1f} s{f', {len(run[3])} errors' if run[3] else ''}", flush=True)
    finally:
        for server in servers:
            server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"Busy downloads: {args.clients} `curl` at once, {args.size_mib} MiB each, {args.rounds} rounds; "
          f"median of {args.reps}; CPU of the whole process tree")
    rows = []
    for name, runs in results.items():
        rows.append([name, f"{statistics.median(r[0] for r in runs):.3f}", f"{statistics.median(r[1] for r in runs):.3f}",
                     f"{statistics.median(args.clients * args.rounds * size / r[2] / 1e6 for r in runs):,.0f}",
                     str(sum(len(r[3]) for r in runs))])
    print(table(["server", "CPU s/GiB", "idle CPU s per same time", "MB/s", "errors"], rows))
    hub_cpu, ngx_cpu = (statistics.median(r[0] for r in runs) for runs in results.values())
    errors = [e for runs in results.values() for r in runs for e in r[3]]
    met = hub_cpu / ngx_cpu <= 1.3 and not errors
    print(f"  {verdict(met)}  hub CPU per GiB = {hub_cpu / ngx_cpu:.2f}x nginx's (target <= 1.3x)")
    for err in errors[:5]:
        print("  error:", err)
    return 0 if met else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

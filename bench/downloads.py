"""Download benchmark: the hub's file path against nginx (sendfile) and a bare Litestar ``File`` app.

    /work/venv/bin/python bench/downloads.py            # hub (continuata-hub serve), Litestar File, nginx
    /work/venv/bin/python bench/downloads.py --targets hub,hub@granian,file,nginx

Every server serves the very same blob file (the one the hub stored when the
CLI uploaded it), from the page cache, on 127.0.0.1. Measured per server:

- throughput: ``--concurrency`` (4) parallel full downloads of the 1 GiB file
  by ``curl -o /dev/null``, in rounds, until ``--seconds`` have passed;
- server CPU seconds per GiB served: utime+stime of the server process and its
  children (nginx workers, granian workers) from /proc, before/after;
- memory: the server's RSS (sampled every 10 ms) above its idle RSS while one
  client streams the 2 GiB file at full speed, while a slow client
  (``curl --limit-rate``) streams it, and at any time during the throughput phase.

Targets: ``hub`` is ``continuata-hub serve`` as shipped; ``file`` is the bare
Litestar app on the same ``uvicorn.run`` settings; ``nginx`` is nginx with
``sendfile on``; ``APP@uvicorn:http=httptools,loop=uvloop,access_log=0`` or
``APP@granian[:opt=value,...]`` run an app another way (see bench/serve.py).
Ratios are against nginx and against the first ``file`` target of the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    CACHE,
    GiB,
    HubSetup,
    MiB,
    Server,
    ServerSpec,
    cpu_seconds,
    children_cpu,
    ensure_file,
    free_port,
    hub_env,
    hwm_kb,
    machine_line,
    need,
    python_env,
    rss_kb,
    server_versions,
    setup_hub,
    table,
)

BIG, HUGE = "bench-1g.bin", "bench-2g.bin"

NGINX_CONF = """\
worker_processes {workers};
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
    client_body_temp_path {dir}/nginx-tmp/body;
    proxy_temp_path {dir}/nginx-tmp/proxy;
    fastcgi_temp_path {dir}/nginx-tmp/fastcgi;
    uwsgi_temp_path {dir}/nginx-tmp/uwsgi;
    scgi_temp_path {dir}/nginx-tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        location = / {{ return 200 "ok"; }}
        location /files/ {{ alias {root}/; }}
    }}
}}
"""


@dataclass
class Target:
    label: str
    app: str  # hub | file | nginx
    server: Server
    urls: dict[str, str] = field(default_factory=dict)  # file name -> URL


@dataclass
class Result:
    label: str
    app: str
    mbps: float = 0.0
    gib: float = 0.0
    seconds: float = 0.0
    cpu_per_gib: float = 0.0
    client_cpu_per_gib: float = 0.0
    idle_rss_mb: float = 0.0
    grow_fast_mb: float = 0.0
    grow_slow_mb: float | None = None
    grow_load_mb: float = 0.0
    hwm_grow_mb: float = 0.0
    errors: list[str] = field(default_factory=list)


class RssSampler:
    """Samples the server tree's RSS every ``interval`` s; ``peak`` since ``reset``."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self.pid, self.interval = pid, interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(self.interval)

    def reset(self) -> None:
        self.peak = rss_kb(self.pid)

    def __enter__(self) -> RssSampler:
        self.reset()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def curl(url: str, expect: int, *extra: str) -> str | None:
    """Download ``url`` to /dev/null; an error text, or None when all ``expect`` bytes came."""
    r = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", *extra, url],
        capture_output=True,
        text=True,
    )
    try:
        code, size = r.stdout.split()
    except ValueError:
        return f"curl failed: {r.stderr.strip()}"
    if code != "200" or int(size) != expect:
        return f"HTTP {code}, {size} of {expect} bytes {r.stderr.strip()}"
    return None


def throughput(target: Target, size: int, concurrency: int, seconds: float) -> tuple[int, float, float, float, list[str]]:
    """Rounds of ``concurrency`` parallel downloads until ``seconds`` passed."""
    url = target.urls[BIG]
    errors: list[str] = []
    done = 0
    cpu0, client0, t0 = cpu_seconds(target.server.pid), children_cpu(), time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        while True:
            for err in pool.map(lambda _: curl(url, size), range(concurrency)):
                if err:
                    errors.append(err)
                else:
                    done += size
            if time.perf_counter() - t0 >= seconds or errors:
                break
    elapsed = time.perf_counter() - t0
    return done, elapsed, cpu_seconds(target.server.pid) - cpu0, children_cpu() - client0, errors


def measure(target: Target, args: argparse.Namespace, sizes: dict[str, int]) -> Result:
    res = Result(target.label, target.app)
    pid = target.server.pid
    # A small request first, so lazily built routes and imports are not counted as streaming memory.
    if target.app == "hub":
        subprocess.run(["curl", "-s", "-o", "/dev/null", "-r", "0-1023", target.urls[BIG]], check=True)
    else:
        subprocess.run(["curl", "-s", "-o", "/dev/null", target.server.url + "/"], check=True)
    time.sleep(0.3)
    idle = rss_kb(pid)
    hwm0 = hwm_kb(pid)
    res.idle_rss_mb = idle / 1024
    with RssSampler(pid) as sampler:
        sampler.peak = idle
        if err := curl(target.urls[HUGE], sizes[HUGE]):
            res.errors.append(f"2 GiB fast: {err}")
        res.grow_fast_mb = (sampler.peak - idle) / 1024
        res.hwm_grow_mb = max(0, hwm_kb(pid) - max(hwm0, idle)) / 1024
        if args.slow_rate:
            sampler.peak = rss_kb(pid)
            base = sampler.peak
            if err := curl(target.urls[HUGE], sizes[HUGE], "--limit-rate", args.slow_rate):
                res.errors.append(f"2 GiB slow: {err}")
            res.grow_slow_mb = (sampler.peak - min(base, idle)) / 1024
        sampler.peak = rss_kb(pid)
        done, elapsed, cpu, client_cpu, errors = throughput(target, sizes[BIG], args.concurrency, args.seconds)
        res.errors += errors
        res.grow_load_mb = (sampler.peak - idle) / 1024
    res.gib, res.seconds = done / GiB, elapsed
    res.mbps = done / elapsed / 1e6 if elapsed else 0
    res.cpu_per_gib = cpu / res.gib if res.gib else float("nan")
    res.client_cpu_per_gib = client_cpu / res.gib if res.gib else float("nan")
    return res


def start_target(spec: str, setup: HubSetup, work: Path, args: argparse.Namespace) -> Target:
    app, _, server = spec.partition("@")
    blob_dir = setup.files[BIG]["blob"].parent
    port = free_port()
    log = work / "logs" / f"{spec.replace('/', '_')}.log"
    if app == "nginx":
        ndir = work / f"nginx-{port}"
        (ndir / "nginx-tmp").mkdir(parents=True)
        conf = ndir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(workers=args.nginx_workers, dir=ndir, port=port, root=blob_dir))
        cmd = [need("nginx", "apt-get install -y nginx-light"), "-p", str(ndir), "-c", str(conf), "-g", "daemon off;"]
        srv = Server(f"nginx({args.nginx_workers}w)", cmd, dict(os.environ), port, log, health="/").start()
        urls = {name: f"{srv.url}/files/{f['blob'].name}" for name, f in setup.files.items()}
        return Target(f"nginx sendfile ({args.nginx_workers} worker)", "nginx", srv, urls)
    sspec = ServerSpec.parse(server or ("cli" if app == "hub" else "uvicorn"))
    if app == "hub":
        env = hub_env(setup.data_dir, setup.database_url, port)
        srv = Server(spec, sspec.command("hub", port), env, port, log, health="/healthz").start()
        urls = {name: f"{srv.url}{f['url']}" for name, f in setup.files.items()}
        label = "hub: continuata-hub serve" if sspec.kind == "cli" else f"hub: {sspec.label()}"
        return Target(label, "hub", srv, urls)
    if app == "file":
        env = python_env({"BENCH_FILES_DIR": str(blob_dir)})
        srv = Server(spec, sspec.command("file", port), env, port, log, health="/").start()
        urls = {name: f"{srv.url}/files/{f['blob'].name}" for name, f in setup.files.items()}
        return Target(f"Litestar File: {sspec.label()}", "file", srv, urls)
    raise SystemExit(f"unknown target {spec!r}: hub, file or nginx, optionally APP@uvicorn:… / APP@granian:…")


def fmt(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default="hub,file,nginx", help="comma-separated (default: hub,file,nginx)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=6.0, help="least duration of each throughput phase")
    parser.add_argument("--slow-rate", default="400M", help="curl --limit-rate of the slow client ('' to skip)")
    parser.add_argument("--nginx-workers", type=int, default=1)
    parser.add_argument("--database-url", default="", help="default: SQLite in the temporary hub data dir")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, hub data)")
    args = parser.parse_args()
    need("curl", "apt-get install -y curl")

    print(f"Machine: {machine_line()}")
    print(f"Stack:   {server_versions()}")
    files_dir = CACHE / "files"
    sizes = {BIG: GiB, HUGE: 2 * GiB}
    for name, size in sizes.items():
        ensure_file(files_dir / name, size)

    work = Path(tempfile.mkdtemp(prefix="hub-dl-bench-"))
    targets: list[Target] = []
    results: list[Result] = []
    try:
        db = args.database_url or f"sqlite:///{work / 'hubdata' / 'hub.sqlite3'}"
        t = time.perf_counter()
        print(f"Setting up a hub in {work} (init, product, CLI upload of {sum(sizes.values()) / GiB:.0f} GiB, token)...",
              flush=True)
        setup = setup_hub(work, db, files_dir, work / "logs" / "setup.log")
        print(f"  done in {time.perf_counter() - t:.1f} s", flush=True)
        for f in setup.files.values():  # into the page cache, for every server alike
            with open(f["blob"], "rb") as fh:
                while fh.read(16 * MiB):
                    pass
        for spec in args.targets.split(","):
            target = start_target(spec.strip(), setup, work, args)
            targets.append(target)
            try:
                print(f"Measuring {target.label} ...", flush=True)
                results.append(measure(target, args, sizes))
            finally:
                target.server.stop()
    finally:
        for target in targets:
            target.server.stop()
        if args.keep:
            print(f"Kept {work}")
        else:
            import shutil

            shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"Downloads: {args.concurrency} parallel `curl -o /dev/null` of a 1 GiB file for >= {args.seconds:g} s; "
          f"memory while streaming a 2 GiB file (MB = 10^6 bytes; RSS in MiB)")
    rows = [
        [
            r.label,
            fmt(r.mbps, 0),
            fmt(r.gib, 0),
            fmt(r.cpu_per_gib, 3),
            fmt(r.client_cpu_per_gib, 3),
            fmt(r.idle_rss_mb),
            fmt(r.grow_fast_mb),
            fmt(r.grow_slow_mb),
            fmt(r.grow_load_mb),
        ]
        for r in results
    ]
    print(table(["server", "MB/s", "GiB", "srv CPU s/GiB", "curl CPU s/GiB", "idle RSS",
                 "+RSS 2GiB", f"+RSS slow", f"+RSS {args.concurrency}x"], rows))
    for r in results:
        for e in r.errors[:3]:
            print(f"  ERROR {r.label}: {e}")

    nginx = next((r for r in results if r.app == "nginx"), None)
    file_ref = next((r for r in results if r.app == "file"), None)
    print()
    ratio_rows = []
    for r in results:
        row = [r.label]
        for ref in (nginx, file_ref):
            if ref and ref is not r and ref.mbps and ref.cpu_per_gib:
                row += [f"{r.mbps / ref.mbps:.2f}x", f"{r.cpu_per_gib / ref.cpu_per_gib:.2f}x"]
            else:
                row += ["-", "-"]
        ratio_rows.append(row)
    print(table(["server", "MB/s vs nginx", "CPU/GiB vs nginx", "MB/s vs File", "CPU/GiB vs File"], ratio_rows))

    hub = next((r for r in results if r.app == "hub"), None)
    if hub and nginx:
        print()
        print(f"Targets for {hub.label}:")
        checks = [
            ("CPU per GiB <= 1.3x nginx", hub.cpu_per_gib / nginx.cpu_per_gib, hub.cpu_per_gib / nginx.cpu_per_gib <= 1.3),
            ("throughput >= 0.8x nginx", hub.mbps / nginx.mbps, hub.mbps / nginx.mbps >= 0.8),
            ("RSS growth streaming 2 GiB < 50 MB", max(hub.grow_fast_mb, hub.grow_slow_mb or 0) * 1.048576,
             max(hub.grow_fast_mb, hub.grow_slow_mb or 0) * 1.048576 < 50),
        ]
        for what, value, ok in checks:
            print(f"  {'MET ' if ok else 'MISS'}  {what}: {value:.2f}")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

"""Download benchmark: the hub's file path against nginx (sendfile) and a bare Litestar ``File`` app.

    /work/venv/bin/python bench/downloads.py            # hub (continuata-hub serve), Litestar File, nginx
    /work/venv/bin/python bench/downloads.py --targets hub,hub@granian,file,nginx

Every server serves the very same blob file (the one the hub stored when the
CLI uploaded it), from the page cache, on 127.0.0.1. Measured per server:

- throughput: ``--concurrency`` (4) parallel full downloads of the 1 GiB file
  by ``curl -o /dev/null``, in rounds, for at least ``--seconds`` per phase;
  the servers take turns, ``--reps`` phases each, so that a change in the
  machine's background load hits every server alike; the median phase counts;
- server CPU seconds per GiB served: utime+stime of the server process and its
  children (nginx workers, granian workers) from /proc, before/after each phase;
- memory: the server's RSS (sampled every 10 ms) above its idle RSS while one
  client streams the 2 GiB file at full speed, while a slow client
  (``curl --limit-rate``) streams it, and at any time during the throughput phases;
- the archive line (``hub`` targets, unless ``--no-archive``): "Download all"
  of a 5 GiB version (its files hard links of the cached 1 and 2 GiB files,
  uploaded once by the CLI): server CPU seconds per GiB of the ZIP fetched
  ``--concurrency`` at a time, against nginx's per GiB of one file by
  sendfile, and the RSS above idle while one client streams the whole 5 GiB
  archive (sampled every 10 ms: flat means the archive is never held).

Targets: ``hub`` is ``continuata-hub serve`` as shipped; ``file`` is the bare
Litestar app on the same ``uvicorn.run`` settings; ``nginx`` is nginx with
``sendfile on``; ``APP@uvicorn:http=httptools,loop=uvloop,access_log=0`` or
``APP@granian[:opt=value,...]`` run an app another way (see bench/servers/serve.py).
Ratios are against nginx and against the first ``file`` target of the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import re
import shutil
import statistics
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
    HUB_CLI,
    ForeignLoad,
    GiB,
    HubSetup,
    Server,
    ServerSpec,
    children_cpu,
    cpu_seconds,
    ensure_file,
    exit_cleanly_on_termination,
    free_port,
    http_json,
    hub_env,
    machine_line,
    need,
    python_env,
    rss_kb,
    server_versions,
    setup_hub,
    split_specs,
    system_busy,
    table,
    verdict,
    wait_quiet,
    warm_page_cache,
)

BIG, HUGE = "bench-1g.bin", "bench-2g.bin"
SIZES = {BIG: GiB, HUGE: 2 * GiB}

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
class Phase:
    bytes: int
    seconds: float
    server_cpu: float
    client_cpu: float
    machine_cpu: float
    foreign_cores: float

    @property
    def mbps(self) -> float:
        return self.bytes / self.seconds / 1e6 if self.seconds else 0.0

    @property
    def cpu_per_gib(self) -> float:
        return self.server_cpu / (self.bytes / GiB) if self.bytes else float("nan")


@dataclass
class Target:
    spec: str
    label: str
    app: str  # hub | file | nginx
    server: Server
    urls: dict[str, str] = field(default_factory=dict)  # file name -> URL
    blobs: dict[str, Path] = field(default_factory=dict)  # file name -> the file served
    phases: list[Phase] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    idle_rss_mb: float = 0.0
    grow_fast_mb: float = 0.0
    grow_slow_mb: float | None = None
    grow_load_mb: float = 0.0

    def median(self, attr: str) -> float:
        return statistics.median(getattr(p, attr) for p in self.phases) if self.phases else float("nan")


class RssSampler:
    """Samples the server tree's RSS every ``interval`` s into ``peak``."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self.pid, self.interval = pid, interval
        self.peak = rss_kb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
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


def measure_memory(target: Target, args: argparse.Namespace) -> None:
    """On the fresh server: idle RSS, then RSS growth while streaming the 2 GiB file."""
    pid = target.server.pid
    # One small request first, so lazily built routes and imports do not count as streaming memory.
    if target.app == "hub":
        subprocess.run(["curl", "-s", "-o", "/dev/null", "-r", "0-1023", target.urls[BIG]], check=True)
    else:
        subprocess.run(["curl", "-s", "-o", "/dev/null", target.server.url + "/"], check=True)
    warm_page_cache(target.blobs[HUGE])
    time.sleep(0.3)
    idle = rss_kb(pid)
    target.idle_rss_mb = idle / 1024
    with RssSampler(pid) as sampler:
        if err := curl(target.urls[HUGE], SIZES[HUGE]):
            target.errors.append(f"2 GiB fast: {err}")
        target.grow_fast_mb = (sampler.peak - idle) / 1024
        if args.slow_rate:
            warm_page_cache(target.blobs[HUGE])
            sampler.peak = rss_kb(pid)
            if err := curl(target.urls[HUGE], SIZES[HUGE], "--limit-rate", args.slow_rate):
                target.errors.append(f"2 GiB slow: {err}")
            target.grow_slow_mb = (sampler.peak - idle) / 1024


def throughput_phase(target: Target, concurrency: int, seconds: float, size: int = SIZES[BIG]) -> Phase:
    """Rounds of ``concurrency`` parallel full downloads (of ``size`` bytes)
    of ``target``'s 1 GiB file's URL until ``seconds`` passed."""
    url = target.urls[BIG]
    done = 0
    pid = target.server.pid
    with ForeignLoad(pid) as foreign, ThreadPoolExecutor(concurrency) as pool:
        busy0, cpu0, client0, t0 = system_busy()[0], cpu_seconds(pid), children_cpu(), time.perf_counter()
        while True:
            for err in pool.map(lambda _: curl(url, size), range(concurrency)):
                if err:
                    target.errors.append(err)
                else:
                    done += size
            if time.perf_counter() - t0 >= seconds or target.errors:
                break
        elapsed = time.perf_counter() - t0
        cpu, client, busy = cpu_seconds(pid) - cpu0, children_cpu() - client0, system_busy()[0] - busy0
    return Phase(done, elapsed, cpu, client, busy, foreign.cores)


def start_target(spec: str, setup: HubSetup, work: Path, args: argparse.Namespace) -> Target:
    app, _, server = spec.partition("@")
    blob_dir = setup.files[BIG]["blob"].parent
    blobs = {name: f["blob"] for name, f in setup.files.items()}
    port = free_port()
    log = work / "logs" / f"{spec.replace('/', '_')}.log"
    if app == "nginx":
        ndir = work / f"nginx-{port}"
        (ndir / "nginx-tmp").mkdir(parents=True)
        conf = ndir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(workers=args.nginx_workers, dir=ndir, port=port, root=blob_dir))
        cmd = [need("nginx", "apt-get install -y nginx-light"), "-p", str(ndir), "-c", str(conf), "-g", "daemon off;"]
        srv = Server(spec, cmd, dict(os.environ), port, log, health="/").start()
        urls = {name: f"{srv.url}/files/{f['blob'].name}" for name, f in setup.files.items()}
        return Target(spec, f"nginx sendfile ({args.nginx_workers} worker)", "nginx", srv, urls, blobs)
    sspec = ServerSpec.parse(server or ("cli" if app == "hub" else "uvicorn"))
    if app == "hub":
        env = sspec.env(hub_env(setup.data_dir, setup.database_url, port))
        srv = Server(spec, sspec.command("hub", port), env, port, log, health="/healthz").start()
        urls = {name: f"{srv.url}{f['url']}" for name, f in setup.files.items()}
        label = "hub: continuata-hub " + sspec.label() if sspec.kind == "cli" else f"hub: {sspec.label()}"
        return Target(spec, label, "hub", srv, urls, blobs)
    if app == "file":
        env = sspec.env(python_env({"BENCH_FILES_DIR": str(blob_dir)}))
        srv = Server(spec, sspec.command("file", port), env, port, log, health="/").start()
        urls = {name: f"{srv.url}/files/{f['blob'].name}" for name, f in setup.files.items()}
        return Target(spec, f"Litestar File: {sspec.label()}", "file", srv, urls, blobs)
    raise SystemExit(f"unknown target {spec!r}: hub, file or nginx, optionally APP@uvicorn:… / APP@granian:…")


ARCHIVE_PARTS = ("a-1g.bin", "b-2g.bin", "c-2g.bin")  # 5 GiB: hard links of the cached files


@dataclass
class ArchiveRun:
    label: str
    size: int = 0
    phases: list[Phase] = field(default_factory=list)
    idle_rss_mb: float = 0.0
    grow_mb: float = 0.0
    errors: list[str] = field(default_factory=list)


def archive_setup(target: Target, setup: HubSetup, files_dir: Path, work: Path) -> tuple[str, int]:
    """A 5 GiB version uploaded by the CLI to the running hub ``target`` (its
    files hard links of the cached ones, so nothing new is written to the
    cache); its "Download all" URL, read from the download page, and the
    archive's size (from a HEAD)."""
    folder = work / "archive-folder"
    folder.mkdir(exist_ok=True)
    for name, source in zip(ARCHIVE_PARTS, (BIG, HUGE, HUGE), strict=True):
        if not (folder / name).exists():
            os.link(files_dir / source, folder / name)
    url = target.server.url
    http_json("POST", f"{url}/api/products", {"name": "Bench Archive", "slug": "bench-zip"}, key=setup.api_key)
    env = {**hub_env(setup.data_dir, setup.database_url, target.server.port), "HUB_API_URL": url, "HUB_API_KEY": setup.api_key}
    up = subprocess.run([HUB_CLI, "upload", "bench-zip", "1.0.0", str(folder), "--activate"], env=env,
                        capture_output=True, text=True)
    if up.returncode != 0:
        raise RuntimeError(f"continuata-hub upload failed:\n{up.stdout[-2000:]}\n{up.stderr[-2000:]}")
    token = http_json("POST", f"{url}/api/products/bench-zip/tokens", {}, key=setup.api_key)["data"]["token"]
    page = subprocess.run(["curl", "-sS", token["downloadUrl"]], capture_output=True, text=True, check=True).stdout
    found = re.search(r'href="([^"]*/download/archive/[^"]*)"', page)
    if not found:
        raise RuntimeError("the download page has no Download all link")
    archive_url = html.unescape(found[1])
    head = subprocess.run(["curl", "-sSI", archive_url], capture_output=True, text=True, check=True).stdout
    size = int(re.search(r"^content-length: (\d+)", head, re.I | re.M)[1])
    return archive_url, size


def measure_archive(target: Target, setup: HubSetup, files_dir: Path, work: Path, args: argparse.Namespace) -> ArchiveRun:
    """The archive line: memory while one client streams the 5 GiB ZIP, then
    ``args.reps`` phases of ``args.concurrency`` parallel whole fetches."""
    run = ArchiveRun(f"{target.label}: Download all (ZIP)")
    print(f"Archive: uploading a 5 GiB version to {target.label} ...", flush=True)
    url, run.size = archive_setup(target, setup, files_dir, work)
    pid = target.server.pid
    subprocess.run(["curl", "-s", "-o", "/dev/null", "-r", "0-1023", url], check=True)
    for name in ARCHIVE_PARTS:
        warm_page_cache(work / "archive-folder" / name)
    time.sleep(0.3)
    idle = rss_kb(pid)
    run.idle_rss_mb = idle / 1024
    with RssSampler(pid) as sampler:
        if err := curl(url, run.size):
            run.errors.append(f"5 GiB archive: {err}")
        run.grow_mb = (sampler.peak - idle) / 1024
    probe = Target(target.spec, run.label, "hub", target.server, {BIG: url})
    for rep in range(args.reps):
        phase = throughput_phase(probe, args.concurrency, args.seconds, run.size)
        if phase.bytes:
            run.phases.append(phase)
            print(f"Archive {rep + 1}/{args.reps}: {phase.mbps:,.0f} MB/s, {phase.cpu_per_gib:.3f} CPU s/GiB "
                  f"(other processes: {phase.foreign_cores:.2f} cores)", flush=True)
    run.errors += probe.errors
    return run


def report_archive(runs: list[ArchiveRun], targets: list[Target]) -> None:
    nginx = next((t for t in targets if t.app == "nginx" and t.phases), None)
    for run in runs:
        print()
        if not run.phases:
            print(f"{run.label}: no fetch completed {run.errors[:3]}")
            continue
        cpu = statistics.median(p.cpu_per_gib for p in run.phases)
        mbps = statistics.median(p.mbps for p in run.phases)
        print(f"{run.label}, {run.size / GiB:.2f} GiB archive: {mbps:,.0f} MB/s, {cpu:.3f} server CPU s/GiB, "
              f"idle RSS {run.idle_rss_mb:.1f} MiB, +RSS streaming it {run.grow_mb:.1f} MiB "
              f"(other processes: {max(p.foreign_cores for p in run.phases):.2f} cores)")
        for e in run.errors[:3]:
            print(f"  ERROR {run.label}: {e}")
        if nginx:
            ratio = cpu / nginx.median("cpu_per_gib")
            print(f"  {verdict(ratio <= 1.5)}  archive CPU per GiB <= 1.5x nginx sendfile of one file: {ratio:.2f}x "
                  f"(nginx {nginx.median('cpu_per_gib'):.3f} s/GiB)")
        print(f"  {verdict(run.grow_mb * 1.048576 < 50)}  RSS growth streaming the 5 GiB archive < 50 MB: "
              f"{run.grow_mb * 1.048576:.1f} MB")


def fmt(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def report(targets: list[Target], args: argparse.Namespace) -> None:
    print()
    print(f"Downloads: {args.concurrency} parallel `curl -o /dev/null` of a 1 GiB file, {args.reps} phases of "
          f">= {args.seconds:g} s per server taken in turns (median phase; MB = 10^6 bytes). "
          "Memory: RSS above idle (MiB) while streaming a 2 GiB file.")
    rows = []
    for t in targets:
        if not t.phases:
            continue
        mbps = [p.mbps for p in t.phases]
        gib = sum(p.bytes for p in t.phases) / GiB
        rows.append([
            t.label,
            fmt(t.median("mbps"), 0),
            f"{min(mbps):,.0f}-{max(mbps):,.0f}",
            fmt(gib, 0),
            fmt(t.median("cpu_per_gib"), 3),
            fmt(statistics.median(p.client_cpu / (p.bytes / GiB) for p in t.phases if p.bytes), 3),
            fmt(statistics.median(p.machine_cpu / p.seconds for p in t.phases), 2),
            fmt(max(p.foreign_cores for p in t.phases), 2),
            fmt(t.idle_rss_mb),
            fmt(t.grow_fast_mb),
            fmt(t.grow_slow_mb),
            fmt(t.grow_load_mb),
        ])
    print(table(["server", "MB/s", "range", "GiB", "srv CPU s/GiB", "curl CPU s/GiB", "busy cores",
                 "other procs", "idle RSS", "+RSS 2GiB", "+RSS slow", f"+RSS {args.concurrency}x"], rows))
    for t in targets:
        for e in t.errors[:3]:
            print(f"  ERROR {t.label}: {e}")
    if any(p.foreign_cores > 0.2 for t in targets for p in t.phases):
        print("  NOTE: other processes on this machine used CPU during some phases ('other procs', cores): "
              "throughput figures are then understated; CPU per GiB is less affected.")

    nginx = next((t for t in targets if t.app == "nginx" and t.phases), None)
    file_ref = next((t for t in targets if t.app == "file" and t.phases), None)
    print()
    ratio_rows = []
    for t in targets:
        if not t.phases:
            continue
        row = [t.label]
        for ref in (nginx, file_ref):
            if ref and ref is not t:
                row += [f"{t.median('mbps') / ref.median('mbps'):.2f}x",
                        f"{t.median('cpu_per_gib') / ref.median('cpu_per_gib'):.2f}x"]
            else:
                row += ["-", "-"]
        ratio_rows.append(row)
    print(table(["server", "MB/s vs nginx", "CPU/GiB vs nginx", "MB/s vs File", "CPU/GiB vs File"], ratio_rows))

    if nginx:
        for hub in (t for t in targets if t.app == "hub" and t.phases):
            cpu = hub.median("cpu_per_gib") / nginx.median("cpu_per_gib")
            tput = hub.median("mbps") / nginx.median("mbps")
            grow = max(hub.grow_fast_mb, hub.grow_slow_mb or 0) * 1.048576
            print()
            print(f"Targets for {hub.label}:")
            print(f"  {verdict(cpu <= 1.3)}  server CPU per GiB <= 1.3x nginx: {cpu:.2f}x")
            print(f"  {verdict(tput >= 0.8)}  throughput >= 0.8x nginx: {tput:.2f}x")
            print(f"  {verdict(grow < 50)}  RSS growth streaming 2 GiB < 50 MB: {grow:.1f} MB")


def main() -> int:
    exit_cleanly_on_termination()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default="hub,file,nginx", help="comma-separated (default: hub,file,nginx)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0, help="least duration of each throughput phase")
    parser.add_argument("--reps", type=int, default=3, help="throughput phases per server, taken in turns")
    parser.add_argument("--slow-rate", default="400M", help="curl --limit-rate of the slow client ('' to skip)")
    parser.add_argument("--nginx-workers", type=int, default=1)
    parser.add_argument("--wait-quiet", type=float, default=30.0,
                        help="before each phase, wait up to this many seconds for other processes to go quiet")
    parser.add_argument("--database-url", default="", help="default: SQLite in the temporary hub data dir")
    parser.add_argument("--no-archive", action="store_true", help="skip the Download all (ZIP) line")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, hub data)")
    parser.add_argument("--reuse", type=Path, help="a directory kept by --keep: skip the setup, keep it afterwards")
    args = parser.parse_args()
    need("curl", "apt-get install -y curl")

    print(f"Machine: {machine_line()}")
    print(f"Stack:   {server_versions()}")
    files_dir = CACHE / "files"
    for name, size in SIZES.items():
        ensure_file(files_dir / name, size)

    if args.reuse:
        args.keep = True
    work = args.reuse.resolve() if args.reuse else Path(tempfile.mkdtemp(prefix="hub-dl-bench-"))
    targets: list[Target] = []
    archives: list[ArchiveRun] = []
    failed = True
    try:
        db = args.database_url or f"sqlite:///{work / 'hubdata' / 'hub.sqlite3'}"
        t = time.perf_counter()
        if args.reuse:
            setup = HubSetup.load(work / "setup.json")
            print(f"Reusing the hub set up in {work}")
        else:
            print(f"Setting up a hub in {work} (init, product, CLI upload of {sum(SIZES.values()) / GiB:.0f} GiB, "
                  "token)...", flush=True)
            setup = setup_hub(work, db, files_dir, work / "logs" / "setup.log")
            print(f"  done in {time.perf_counter() - t:.1f} s", flush=True)
        for spec in split_specs(args.targets):
            targets.append(start_target(spec.strip(), setup, work, args))
        ours = tuple(t.server.pid for t in targets)
        for target in targets:
            print(f"Memory: {target.label} ...", flush=True)
            measure_memory(target, args)
        samplers = {t.spec: RssSampler(t.server.pid) for t in targets}
        with contextlib.ExitStack() as stack:
            for sampler in samplers.values():
                stack.enter_context(sampler)
            for rep in range(args.reps):
                for target in targets:
                    foreign = wait_quiet(args.wait_quiet, ours) if args.wait_quiet else 0.0
                    warm_page_cache(target.blobs[BIG])
                    phase = throughput_phase(target, args.concurrency, args.seconds)
                    if not phase.bytes:
                        print(f"  {target.label}: no download completed: {target.errors[-1:]}", flush=True)
                        continue
                    target.phases.append(phase)
                    print(f"Throughput {rep + 1}/{args.reps}: {target.label}: {phase.mbps:,.0f} MB/s, "
                          f"{phase.cpu_per_gib:.3f} CPU s/GiB (other processes: {phase.foreign_cores:.2f} cores, "
                          f"{foreign:.2f} before)", flush=True)
        for t in targets:
            t.grow_load_mb = (samplers[t.spec].peak * 1.0 - t.idle_rss_mb * 1024) / 1024
        if not args.no_archive:
            for target in (t for t in targets if t.app == "hub"):
                archives.append(measure_archive(target, setup, files_dir, work, args))
                break  # one hub: the archive's version is set up once
        failed = False
    finally:
        for target in targets:
            target.server.stop()
        if args.keep or failed:
            print(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report(targets, args)
    report_archive(archives, targets)
    return 1 if any(t.errors for t in targets) or any(run.errors for run in archives) else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

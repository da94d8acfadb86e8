"""Shared helpers of the benchmarks: processes, /proc readings, hub setup, tables.

Everything here talks to servers on 127.0.0.1 only and every load phase is
bounded in time.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
BIN = Path(sys.executable).parent
HUB_CLI = str(BIN / "continuata-hub") if (BIN / "continuata-hub").exists() else "continuata-hub"
CACHE = Path(os.environ.get("BENCH_CACHE", "/tmp/continuata-bench-cache"))
CLK_TCK = os.sysconf("SC_CLK_TCK")
MiB = 1 << 20
GiB = 1 << 30


# --------------------------------------------------------------------------
# processes and /proc


def exit_cleanly_on_termination() -> None:
    """Turn SIGTERM and SIGHUP into ``SystemExit``, so that the ``finally``
    blocks stop the servers a script started (killed by the default action,
    a script left its hub running: a worker of a database the next run makes
    anew, with another secret key)."""

    def leave(signum: int, frame) -> None:
        raise SystemExit(128 + signum)

    for termination in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(termination, leave)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (nginx workers, granian workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                pass
    return out


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and its live descendants, in seconds."""
    ticks = 0
    for p in descendants(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return ticks / CLK_TCK


def postgres_backend_seconds(dbname: str | None) -> float:
    """CPU seconds of the PostgreSQL backends connected to ``dbname`` (0 without
    one), found in /proc by their ``postgres: user db …`` title."""
    if not dbname:
        return 0.0
    total = 0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not cmd.startswith("postgres:") or f" {dbname} " not in cmd:
                continue
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def verdict(met: bool) -> str:
    """How every target line starts: ``MET`` or ``MISSED``."""
    return "MET   " if met else "MISSED"


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(pid: int) -> int:
    """VmRSS of ``pid`` and its descendants, in KiB."""
    return sum(_status_kb(p, "VmRSS") for p in descendants(pid))


def hwm_kb(pid: int) -> int:
    """VmHWM (peak RSS) summed over the tree, in KiB."""
    return sum(_status_kb(p, "VmHWM") for p in descendants(pid))


def system_busy() -> tuple[float, float]:
    """(busy, steal) CPU seconds of the whole machine so far, from /proc/stat."""
    v = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK, steal / CLK_TCK


def _all_ticks() -> dict[int, int]:
    """utime+stime of every user-space process (kernel threads left out)."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == 2 or d.name == "2":  # ppid kthreadd: a kernel thread
            continue
        out[int(d.name)] = int(fields[11]) + int(fields[12])
    return out


class ForeignLoad:
    """CPU used by processes that are not ours (other users' tests, say) during a phase.

    ``ours`` are the root pids of our servers; this script and its children are
    ours too. Processes that start and end inside the phase are missed.
    """

    def __init__(self, *ours: int) -> None:
        self.ours = ours

    def _mine(self) -> set[int]:
        mine = set(descendants(os.getpid()))
        for pid in self.ours:
            mine.update(descendants(pid))
        return mine

    def __enter__(self) -> ForeignLoad:
        self.t0, self.before = time.perf_counter(), _all_ticks()
        self.mine = self._mine()
        return self

    def __exit__(self, *exc) -> None:
        after, mine = _all_ticks(), self.mine | self._mine()
        ticks = sum(t - self.before.get(pid, 0) for pid, t in after.items() if pid not in mine)
        self.seconds = time.perf_counter() - self.t0
        self.cores = ticks / CLK_TCK / self.seconds if self.seconds else 0.0


def wait_quiet(limit: float, ours: tuple[int, ...] = (), threshold: float = 0.15, window: float = 2.0) -> float:
    """Wait (up to ``limit`` s) for a ``window`` in which foreign processes use < ``threshold`` cores.

    Returns the foreign load of the last window.
    """
    deadline = time.monotonic() + limit
    while True:
        with ForeignLoad(*ours) as load:
            time.sleep(window)
        if load.cores < threshold or time.monotonic() >= deadline:
            return load.cores


def warm_page_cache(*paths: Path) -> float:
    """Read ``paths`` so every server finds them in the page cache; returns seconds taken."""
    t = time.perf_counter()
    for path in paths:
        with open(path, "rb", buffering=0) as fh:
            while fh.read(16 * MiB):
                pass
    return time.perf_counter() - t


def children_cpu() -> float:
    """CPU seconds of this script's finished children (the curl clients)."""
    r = os.times()
    return r.children_user + r.children_system


@dataclass
class Server:
    name: str
    cmd: list[str]
    env: dict[str, str]
    port: int
    log: Path
    health: str = "/"
    cwd: Path | None = None
    proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.log, "ab")
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, stdout=handle, stderr=subprocess.STDOUT, cwd=self.cwd, start_new_session=True
        )
        handle.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log}:\n{tail(self.log)}")
            try:
                with urllib.request.urlopen(f"{self.url}{self.health}", timeout=2) as r:
                    r.read()
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer on {self.url}{self.health}; see {self.log}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: only what we started
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --------------------------------------------------------------------------
# server commands


@dataclass
class ServerSpec:
    """How to run one ASGI app: the shipped CLI, uvicorn with options, or granian.

    ``kind``: ``cli`` (``continuata-hub serve``, the hub only), ``uvicorn`` or
    ``granian``; ``opts`` are passed to bench/servers/serve.py.
    """

    kind: str = "cli"
    opts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> ServerSpec:
        # "cli", "cli:workers=2", "uvicorn", "uvicorn:http=httptools,loop=uvloop,access_log=0", "granian:workers=1"
        kind, _, rest = text.partition(":")
        opts = dict(item.split("=", 1) for item in rest.split(",") if item)
        if kind not in {"cli", "uvicorn", "granian"}:
            raise SystemExit(f"unknown server {text!r}: use cli, uvicorn[:opts] or granian[:opts]")
        return cls(kind, opts)

    def label(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in self.opts.items() if k != "pythonpath")
        base = "serve" if self.kind == "cli" else f"{self.kind}{'(' + extra + ')' if extra else ''}"
        if "pythonpath" in self.opts:
            base += " [" + "+".join(Path(p).name for p in self.opts["pythonpath"].split(os.pathsep)) + "]"
        return base

    def env(self, env: dict[str, str]) -> dict[str, str]:
        """``env`` with the spec's ``pythonpath`` (a folder of extra packages, or a copy of the hub) in front."""
        if "pythonpath" not in self.opts:
            return env
        return {**env, "PYTHONPATH": os.pathsep.join(filter(None, [self.opts["pythonpath"], env.get("PYTHONPATH")]))}

    def command(self, app: str, port: int) -> list[str]:
        if self.kind == "cli":
            if app != "hub" or set(self.opts) - {"pythonpath", "workers"}:
                raise ValueError("the cli server runs only the hub, and takes only pythonpath= and workers=")
            return [HUB_CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", self.opts.get("workers", "1")]
        opts = [f"--{k.replace('_', '-')}={v}" for k, v in self.opts.items() if k != "pythonpath"]
        return [sys.executable, str(BENCH_DIR / "servers" / "serve.py"), app, "--server", self.kind, "--port", str(port), *opts]


def split_specs(text: str) -> list[str]:
    """``"hub,hub@uvicorn:http=httptools,loop=uvloop,nginx"`` -> the three specs.

    A comma starts a new spec only when an app name (hub, file, hello, nginx) follows it.
    """
    return [s.strip() for s in re.split(r",(?=\s*(?:hub|file|hello|nginx)(?:@|,|$))", text) if s.strip()]


def python_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra or {})
    return env


def server_versions() -> str:
    """One line naming the server stack that the venv offers."""
    code = (
        "import importlib.metadata as m\n"
        "out=[]\n"
        "for n in ['litestar','uvicorn','h11','httptools','uvloop','granian','piccolo','aiosqlite','asyncpg']:\n"
        "    try: out.append(f'{n} {m.version(n)}')\n"
        "    except Exception: out.append(f'{n} -')\n"
        "print(', '.join(out))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=python_env())
    return r.stdout.strip()


def machine_line() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({model}), Python {sys.version.split()[0]}"


# --------------------------------------------------------------------------
# data files


def ensure_file(path: Path, size: int) -> Path:
    """A file of ``size`` random bytes (written once, really allocated, reused)."""
    if path.exists() and path.stat().st_size == size:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    block = 8 * MiB
    print(f"  writing {size / GiB:.0f} GiB of random data to {path} (once; cached for later runs)", flush=True)
    with open(tmp, "wb") as fh:
        left = size
        while left:
            n = min(block, left)
            fh.write(os.urandom(n))
            left -= n
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------
# HTTP helpers (stdlib only, for setup; the load comes from curl / wrk)


def http_json(method: str, url: str, body: dict | None = None, key: str | None = None, accept_json: bool = True) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    if accept_json:
        req.add_header("Accept", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{method} {url}: {e.code} {e.read()[:500]!r}") from None


@dataclass
class HubSetup:
    data_dir: Path
    database_url: str
    api_key: str
    product: str
    token: str
    files: dict[str, dict]  # name -> {"url": path+query (no host), "blob": Path, "size": int}

    def save(self, path: Path) -> None:
        files = {n: {**f, "blob": str(f["blob"])} for n, f in self.files.items()}
        path.write_text(json.dumps({**self.__dict__, "data_dir": str(self.data_dir), "files": files}, indent=1))

    @classmethod
    def load(cls, path: Path) -> HubSetup:
        raw = json.loads(path.read_text())
        raw["data_dir"] = Path(raw["data_dir"])
        raw["files"] = {n: {**f, "blob": Path(f["blob"])} for n, f in raw["files"].items()}
        return cls(**raw)


def hub_env(data_dir: Path, database_url: str, port: int) -> dict[str, str]:
    return python_env(
        {
            "HUB_DATA_DIR": str(data_dir),
            "HUB_DATABASE_URL": database_url,
            "HUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "HUB_UPLOAD_PART_SIZE": str(64 * MiB),
        }
    )


def setup_hub(work: Path, database_url: str, folder: Path, log: Path) -> HubSetup:
    """init, serve, create a product, upload ``folder`` with the CLI, mint an unlimited token.

    The hub started here is stopped again; the benchmark starts its own.
    """
    data_dir = work / "hubdata"
    port = free_port()
    env = hub_env(data_dir, database_url, port)
    init = subprocess.run([HUB_CLI, "init", "--org", "bench"], env=env, capture_output=True, text=True)
    if init.returncode != 0:
        raise RuntimeError(f"continuata-hub init failed:\n{init.stdout}\n{init.stderr}")
    api_key = init.stdout.strip().splitlines()[-1]
    hub = Server("hub-setup", ServerSpec().command("hub", port), env, port, log, health="/healthz").start()
    try:
        http_json("POST", f"{hub.url}/api/products", {"name": "Bench", "slug": "bench"}, key=api_key)
        up = subprocess.run(
            [HUB_CLI, "upload", "bench", "1.0.0", str(folder), "--activate"],
            env={**env, "HUB_API_URL": hub.url, "HUB_API_KEY": api_key},
            capture_output=True,
            text=True,
        )
        if up.returncode != 0:
            raise RuntimeError(f"continuata-hub upload failed:\n{up.stdout[-2000:]}\n{up.stderr[-2000:]}")
        minted = http_json("POST", f"{hub.url}/api/products/bench/tokens", {}, key=api_key)["data"]["token"]
        assert minted["maxDownloads"] is None, minted
        page = http_json("GET", minted["downloadUrl"])["data"]
    finally:
        hub.stop()
    files = {}
    for f in page["files"]:
        blob = data_dir / "blobs" / "orgs" / "bench" / "files" / f["id"]
        assert blob.stat().st_size == f["size"], (blob, f)
        url = f["url"].split(f"127.0.0.1:{port}", 1)[1]
        files[f["path"]] = {"url": url, "blob": blob, "size": f["size"]}
    setup = HubSetup(data_dir, database_url, api_key, "bench", minted["token"], files)
    setup.save(work / "setup.json")
    return setup


def small_folder() -> Path:
    """A small product folder (two files), written once into the cache."""
    folder = CACHE / "small"
    folder.mkdir(parents=True, exist_ok=True)
    for name, size in (("readme.txt", 2_000), ("sample.wav", 300_000)):
        path = folder / name
        if not path.exists() or path.stat().st_size != size:
            path.write_bytes((name.encode() * (size // len(name) + 1))[:size])
    return folder


# --------------------------------------------------------------------------
# wrk


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(out: str) -> tuple[float, float, float, int, int]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = 0
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out):
        bad += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        bad += sum(int(x) for x in m.groups())
    return rps, p50, p99, requests, bad


# --------------------------------------------------------------------------
# PostgreSQL


def psql(sql: str, db: str = "postgres", host: str = "127.0.0.1", user: str = "postgres") -> None:
    subprocess.run(["psql", "-h", host, "-U", user, "-d", db, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True,
                   capture_output=True)


def fresh_postgres(name: str, base_url: str) -> str:
    """Drop and create database ``name``; returns its URL."""
    from urllib.parse import urlsplit

    u = urlsplit(base_url)
    host, user = u.hostname or "127.0.0.1", u.username or "postgres"
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', host=host, user=user)
    psql(f'CREATE DATABASE "{name}"', host=host, user=user)
    port = f":{u.port}" if u.port else ""
    return f"postgresql://{user}@{host}{port}/{name}"


def drop_postgres(name: str, base_url: str) -> None:
    from urllib.parse import urlsplit

    u = urlsplit(base_url)
    with contextlib.suppress(subprocess.CalledProcessError):
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', host=u.hostname or "127.0.0.1",
             user=u.username or "postgres")


# --------------------------------------------------------------------------
# output


def per_database(databases: str, prefix: str, keep: bool, measure) -> list:
    """``measure(kind, work)`` for each of ``databases`` ("sqlite,postgres"), each
    in a fresh temporary folder (removed afterwards unless ``keep``); their results."""
    import tempfile

    results = []
    for kind in [k.strip() for k in databases.split(",") if k.strip()]:
        if kind not in {"sqlite", "postgres"}:
            raise SystemExit(f"unknown database {kind!r}: sqlite or postgres")
        if kind == "postgres":
            need("psql", "apt-get install -y postgresql-client")
        work = Path(tempfile.mkdtemp(prefix=f"{prefix}-{kind}-"))
        try:
            results.append(measure(kind, work))
        finally:
            if keep:
                print(f"Kept {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    return results


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    line = "  ".join("-" * w for w in widths)
    fmt = lambda r: "  ".join(str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(r, widths, strict=True)))  # noqa: E731
    return "\n".join([fmt(headers), line, *map(fmt, rows)])


def need(tool: str, hint: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise SystemExit(f"{tool} is not installed: {hint}")
    return path

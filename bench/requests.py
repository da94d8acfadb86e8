"""Request-rate benchmark: the hub's busiest small requests against a bare Litestar app.

    /work/venv/bin/python bench/requests.py                      # SQLite and PostgreSQL
    /work/venv/bin/python bench/requests.py --databases sqlite --hub hub,hub@granian

With ``wrk -t1 -c32 -d<duration>s --latency`` on 127.0.0.1, for each database
(one ``wrk`` thread: on two cores a second one takes the server's CPU):

- ``hello``: a bare Litestar app (``@get("/")`` returning a dict) on the same
  ``uvicorn.run`` settings as ``continuata-hub serve`` (the reference);
- ``healthz``: the hub's ``GET /healthz`` (the hub's app and middleware, no database);
- ``redeem``: ``GET /download?token=…``, the buyer's download page, answered
  by the page's fast lane before routing (``hub/bypasses/page_lane.py``): one joined
  query for the token, its product, purchase and media files, the version's
  files from the per-database memo of ready versions, the HTML rendered;
- ``redeem-json``: the same page with ``Accept: application/json``;
- ``mint``: ``POST /api/products/bench/tokens`` with a JSON body and an API key
  (authenticates the key, inserts a token, records the event);
- ``genurl``: ``POST /api/generate-download-url`` (the custom integration's minting);
- ``validate``: ``POST /api/licenses/validate`` with a license key and a machine's
  fingerprint (the public license API: the key found by its hash, both rate
  limits counted, the key's and the machine's last seen time written); the
  limits are raised for the run (``HUB_LICENSE_CALLS_PER_*``), since wrk calls
  from one address with one key.

``--hub hub,hub@cli:workers=2`` (the default) measures ``continuata-hub serve``
with one process and with ``--workers 2``; each is compared with the bare app
served the same way (one process, or two with uvicorn's ``workers=2``).

``--lanes on,off`` (the default) measures each hub twice: with the fast lanes
(``hub/bypasses/``) and with ``HUB_FAST_LANES=off``, every request through
Litestar's routed path and uvicorn's own protocols (rows tagged ``lanes
off``): what the bypasses buy. The targets apply to the lanes-on rows.

Each endpoint is first warmed up (``--warmup`` seconds of the same load, not
measured). The endpoints take turns, ``--reps`` runs each (median run counts), so that a
change in the machine's background load hits all of them alike (``--endpoints validate`` runs only
those named, beside the bare reference). Printed:
requests/s, latency p50/p99 from wrk, the server's CPU per request (from
/proc, less sensitive to other load than requests/s), the database's CPU per
request (PostgreSQL backends of the benchmark database), and ratios to ``hello``.

Targets, each printed with MET or MISSED, judged by the server's CPU per
request (the bare app's CPU/req divided by the endpoint's: 0.5x means the
endpoint costs twice the bare handler), not by requests/s: on two cores the
load generator takes CPU from the server, so a requests/s ratio flatters
whichever server is slower. The page (HTML and JSON) >= 0.5x the bare app
with p99 <= 50 ms; both mintings >= 0.3x; the license API's validate >= 0.3x with
p99 <= 20 ms. Requests/s is printed beside.

The PostgreSQL database (``hub_bench_requests`` by default) is dropped and
created fresh for each run, and dropped again at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    ForeignLoad,
    Server,
    ServerSpec,
    cpu_seconds,
    drop_postgres,
    exit_cleanly_on_termination,
    free_port,
    fresh_postgres,
    http_json,
    hub_env,
    machine_line,
    need,
    parse_wrk,
    postgres_backend_seconds,
    python_env,
    server_versions,
    setup_hub,
    small_folder,
    split_specs,
    table,
    tail,
    verdict,
    wait_quiet,
)

MINT_LUA = """\
wrk.method = "POST"
wrk.body = '{"customerEmail": "buyer@example.com", "maxDownloads": 5, "metadata": {"order": "bench"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
"""
GENURL_LUA = """\
wrk.method = "POST"
wrk.body = '{"productId": "bench", "customerEmail": "buyer@example.com"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
"""
VALIDATE_LUA = """\
wrk.method = "POST"
wrk.body = '{"key": "%s", "fingerprint": "bench-machine"}'
wrk.headers["Content-Type"] = "application/json"
"""
TARGETS = {
    "redeem": (0.5, 50.0), "redeem-json": (0.5, 50.0), "mint": (0.3, None), "genurl": (0.3, None),
    "validate": (0.3, 20.0),
}
"""endpoint -> (least efficiency: the bare app's CPU per request / the endpoint's; greatest p99 in ms or None)."""


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int
    server_us: float
    db_us: float
    foreign: float


@dataclass
class Endpoint:
    name: str
    label: str
    server: Server
    path: str
    script: Path | None = None
    headers: tuple[str, ...] = ()
    reference: Endpoint | None = None  # the bare app served the same way (hello's is None)
    lanes: str = "on"  # HUB_FAST_LANES of the hub served
    runs: list[Run] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.runs)


def run_wrk(ep: Endpoint, args: argparse.Namespace, dbname: str | None, log: Path) -> Run:
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency", "--timeout", "10s"]
    if ep.script:
        cmd += ["-s", str(ep.script)]
    for header in ep.headers:
        cmd += ["-H", header]
    cmd.append(ep.server.url + ep.path)
    with ForeignLoad(ep.server.pid) as foreign:
        cpu0, db0 = cpu_seconds(ep.server.pid), postgres_backend_seconds(dbname)
        r = subprocess.run(cmd, capture_output=True, text=True)
        cpu, db = cpu_seconds(ep.server.pid) - cpu0, postgres_backend_seconds(dbname) - db0
    with open(log, "a") as fh:
        fh.write(f"$ {' '.join(cmd)}\n{r.stdout}{r.stderr}\n")
    if ep.server.proc is not None and ep.server.proc.poll() is not None:
        raise RuntimeError(f"{ep.server.name} exited (code {ep.server.proc.returncode}) during the run; "
                           f"its log {ep.server.log} ends:\n{tail(ep.server.log)}")
    if r.returncode != 0:
        raise RuntimeError(f"wrk failed: {r.stderr}")
    rps, p50, p99, requests, bad = parse_wrk(r.stdout)
    per = 1e6 / requests if requests else float("nan")
    # The database's backends are not "other processes" for this measure.
    return Run(rps, p50, p99, requests, bad, cpu * per, db * per, max(0.0, foreign.cores - db / foreign.seconds))


def license_key(setup, db_url: str, work: Path) -> str:
    """License keys turned on for the bench product, one sale recorded and
    its key activated on the machine the runs validate: the key."""
    port = free_port()
    env = hub_env(setup.data_dir, db_url, port)
    hub = Server("hub-license-setup", ServerSpec().command("hub", port), env, port, work / "logs" / "license-setup.log",
                 health="/healthz").start()
    try:
        http_json("PUT", f"{hub.url}/api/products/bench/license", {"enabled": True, "activationLimit": 3}, key=setup.api_key)
        sale = {"reference": "bench-license", "customerEmail": "buyer@example.com", "items": [{"productId": "bench"}]}
        key = http_json("POST", f"{hub.url}/api/purchases", sale, key=setup.api_key)["data"]["purchase"]["licenses"][0]["key"]
        http_json("POST", f"{hub.url}/api/licenses/activate", {"key": key, "fingerprint": "bench-machine", "name": "Bench"})
    finally:
        hub.stop()
    return str(key)


def bench_database(kind: str, args: argparse.Namespace, work: Path) -> tuple[list[Endpoint], str]:
    dbname = None
    if kind == "sqlite":
        db_url = f"sqlite:///{work / 'hubdata' / 'hub.sqlite3'}"
    else:
        dbname = args.postgres_db
        db_url = fresh_postgres(dbname, args.postgres_url)
    print(f"[{kind}] setting up a hub (init, product, CLI upload, token) ...", flush=True)
    setup = setup_hub(work, db_url, small_folder(), work / "logs" / "setup.log")
    script = work / "mint.lua"
    script.write_text(MINT_LUA % setup.api_key)
    genurl = work / "genurl.lua"
    genurl.write_text(GENURL_LUA % setup.api_key)
    validate = work / "validate.lua"
    validate.write_text(VALIDATE_LUA % license_key(setup, db_url, work))
    servers: list[Server] = []
    endpoints: list[Endpoint] = []
    try:
        references: dict[str, Endpoint] = {}

        def reference(workers: str) -> Endpoint:
            """The bare app, served as ``--reference`` says, with ``workers`` processes."""
            if workers not in references:
                spec = ServerSpec.parse(args.reference)
                if workers != "1":
                    spec.opts["workers"] = workers
                port = free_port()
                hello = Server(f"hello-{workers}", spec.command("hello", port), spec.env(python_env()), port,
                               work / "logs" / f"hello-{workers}.log").start()
                servers.append(hello)
                references[workers] = Endpoint("hello", f"bare Litestar hello ({spec.label()})", hello, "/")
                endpoints.append(references[workers])
            return references[workers]

        for hub_spec in split_specs(args.hub):
            app, _, how = hub_spec.strip().partition("@")
            if app != "hub":
                raise SystemExit(f"--hub takes hub or hub@SERVER[:opts], not {hub_spec!r}")
            sspec = ServerSpec.parse(how or "cli")
            ref = reference(sspec.opts.get("workers", "1"))
            for lanes in args.lanes.split(","):
                port = free_port()
                env = sspec.env(hub_env(setup.data_dir, db_url, port))
                env["HUB_FAST_LANES"] = lanes
                env["HUB_LICENSE_CALLS_PER_KEY"] = env["HUB_LICENSE_CALLS_PER_ADDRESS"] = "1000000000"
                name = hub_spec if lanes == "on" else f"{hub_spec} lanes off"
                log = work / "logs" / f"{name.replace('/', '_').replace(' ', '-')}.log"
                hub = Server(name, sspec.command("hub", port), env, port, log, health="/healthz").start()
                servers.append(hub)
                tag = "" if sspec.kind == "cli" and not sspec.opts else f" [{sspec.label()}{','.join(f' {k}={v}' for k, v in sspec.opts.items() if sspec.kind == 'cli')}]"
                tag += "" if lanes == "on" else " lanes off"
                endpoints += [
                    Endpoint("healthz", f"hub GET /healthz{tag}", hub, "/healthz", reference=ref, lanes=lanes),
                    Endpoint("redeem", f"hub redeem GET /download?token={tag}", hub, f"/download?token={setup.token}",
                             reference=ref, lanes=lanes),
                    Endpoint("redeem-json", f"hub redeem JSON (Accept: application/json){tag}", hub,
                             f"/download?token={setup.token}", headers=("Accept: application/json",), reference=ref,
                             lanes=lanes),
                    Endpoint("mint", f"hub mint POST /api/products/…/tokens{tag}", hub, "/api/products/bench/tokens",
                             script, reference=ref, lanes=lanes),
                    Endpoint("genurl", f"hub mint POST /api/generate-download-url{tag}", hub,
                             "/api/generate-download-url", genurl, reference=ref, lanes=lanes),
                    Endpoint("validate", f"hub license POST /api/licenses/validate{tag}", hub,
                             "/api/licenses/validate", validate, reference=ref, lanes=lanes),
                ]
        if args.endpoints:
            # Only the endpoints asked for (and the references they are judged by).
            wanted = {name.strip() for name in args.endpoints.split(",")} | {"hello"}
            endpoints[:] = [ep for ep in endpoints if ep.name in wanted]
        ours = tuple(s.pid for s in servers)
        if args.warmup:
            # Each server's first requests pay once for what a running server
            # has done long ago (connections opened, statements prepared,
            # templates compiled): not what the runs measure.
            print(f"[{kind}] warming up each endpoint for {args.warmup} s ...", flush=True)
            for ep in endpoints:
                run_wrk(ep, argparse.Namespace(**{**vars(args), "duration": args.warmup}), dbname, work / "logs" / "warmup.log")
        for rep in range(args.reps):
            for ep in endpoints:
                if args.wait_quiet:
                    wait_quiet(args.wait_quiet, ours)
                run = run_wrk(ep, args, dbname, work / "logs" / "wrk.log")
                ep.runs.append(run)
                print(f"[{kind}] {rep + 1}/{args.reps} {ep.label}: {run.rps:,.0f} req/s, p50 {run.p50_ms:.2f} ms, "
                      f"p99 {run.p99_ms:.2f} ms, {run.server_us:.0f} us CPU/req"
                      f"{f', {run.bad} bad' if run.bad else ''} (other processes {run.foreign:.2f} cores)", flush=True)
    finally:
        for s in servers:
            s.stop()
        if dbname:
            drop_postgres(dbname, args.postgres_url)
    return endpoints, db_url.split("://")[0]


def report(kind: str, endpoints: list[Endpoint], args: argparse.Namespace) -> bool:
    """The table and one MET/MISSED line per target; True when every target is met."""
    print()
    print(f"Requests on {kind}: wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
          f"median of {args.reps} runs taken in turns")
    rows = []
    for ep in endpoints:
        ref = ep.reference or ep
        rows.append([
            ep.label,
            f"{ep.median('rps'):,.0f}",
            f"{min(r.rps for r in ep.runs):,.0f}-{max(r.rps for r in ep.runs):,.0f}",
            f"{ep.median('p50_ms'):.2f}",
            f"{ep.median('p99_ms'):.2f}",
            f"{ep.median('server_us'):,.0f}",
            f"{ep.median('db_us'):,.0f}" if kind != "sqlite" else "-",
            str(sum(r.bad for r in ep.runs)),
            f"{ep.median('rps') / ref.median('rps'):.2f}x",
            f"{ref.median('server_us') / ep.median('server_us'):.2f}x",
            f"{max(r.foreign for r in ep.runs):.2f}",
        ])
    print(table(["endpoint", "req/s", "range", "p50 ms", "p99 ms", "srv CPU us/req", "db CPU us/req", "errors",
                 "req/s vs hello", "hello CPU/req ÷ this", "other procs"], rows))
    all_met = True
    for ep in endpoints:
        if ep.name not in TARGETS or ep.reference is None or ep.lanes != "on":
            continue
        least, p99_limit = TARGETS[ep.name]
        ratio = ep.reference.median("server_us") / ep.median("server_us")
        p99 = ep.median("p99_ms")
        met = ratio >= least and (p99_limit is None or p99 <= p99_limit) and not any(r.bad for r in ep.runs)
        all_met &= met
        limit = f", p99 {p99:.1f} ms (target <= {p99_limit:.0f} ms)" if p99_limit else ""
        print(f"  {verdict(met)}  {kind}: {ep.label}: {ratio:.2f}x bare Litestar by server CPU/request "
              f"({ep.median('server_us'):.0f} vs {ep.reference.median('server_us'):.0f} us; target >= {least}x; "
              f"req/s {ep.median('rps') / ep.reference.median('rps'):.2f}x){limit}")
    if any(r.foreign > 0.2 for ep in endpoints for r in ep.runs):
        print("  NOTE: other processes used CPU during some runs ('other procs', cores): req/s is then understated;"
              " CPU per request is less affected.")
    return all_met


def main() -> int:
    exit_cleanly_on_termination()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a server and a user that may create databases")
    parser.add_argument("--postgres-db", default="hub_bench_requests")
    parser.add_argument("--hub", default="hub,hub@cli:workers=2",
                        help="hub servers, comma-separated: hub (continuata-hub serve), hub@cli:workers=2 (serve "
                        "--workers 2), hub@uvicorn:http=h11,loop=asyncio, hub@granian, ...")
    parser.add_argument("--reference", default="uvicorn",
                        help="how to serve the bare hello app (bench/servers/serve.py options; default the serve settings)")
    parser.add_argument("--lanes", default="on,off",
                        help="HUB_FAST_LANES values to serve each hub with: on, off, or on,off (default: both)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1,
                        help="seconds of load on each endpoint before the measured runs (0: none)")
    parser.add_argument("--wait-quiet", type=float, default=20.0,
                        help="before each run, wait up to this many seconds for other processes to go quiet")
    parser.add_argument("--endpoints", default="",
                        help="run only these endpoints, comma-separated (e.g. validate); the bare reference always runs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories (logs, wrk output)")
    args = parser.parse_args()
    if not args.lanes or set(args.lanes.split(",")) - {"on", "off"}:
        raise SystemExit(f"--lanes takes on, off or on,off, not {args.lanes!r}")
    need("wrk", "apt-get install -y wrk")

    print(f"Machine: {machine_line()}")
    print(f"Stack:   {server_versions()}")
    reports = []
    for kind in args.databases.split(","):
        kind = kind.strip()
        if kind not in {"sqlite", "postgres"}:
            raise SystemExit(f"unknown database {kind!r}")
        if kind == "postgres":
            need("psql", "apt-get install -y postgresql-client")
        work = Path(tempfile.mkdtemp(prefix=f"hub-rq-bench-{kind}-"))
        failed = True
        try:
            endpoints, _ = bench_database(kind, args, work)
            reports.append((kind, endpoints))
            failed = False
        finally:
            if args.keep or failed:
                print(f"Kept {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    met = [report(kind, endpoints, args) for kind, endpoints in reports]
    return 0 if all(met) else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

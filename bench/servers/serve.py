"""Serve one of bench/servers/apps.py with uvicorn or granian, for the benchmarks.

    python bench/servers/serve.py {hub,file,hello} --port 8001 [--server uvicorn|granian] [--opt=value ...]

With ``--server uvicorn`` (the default) the options default to exactly what
``continuata-hub serve`` passes to ``uvicorn.run`` (log level info, so the
access log is on; proxy headers; no Server header; ``http``/``loop`` "auto",
which means httptools/uvloop only when installed). Override with
``--http=h11|httptools``, ``--loop=asyncio|uvloop``, ``--access-log=0``,
``--workers=N`` (N processes on one port, as ``continuata-hub serve --workers N``).

With ``--server granian`` this execs ``granian --interface asgi --factory``
on ``apps:<app>_app`` with one worker; any ``--opt=value`` is handed to
granian as ``--opt value`` (e.g. ``--loop=uvloop``, ``--blocking-threads=2``).

``--pythonpath=DIR`` (either server) puts DIR in front of the import path, to
try packages such as uvloop and httptools without installing them in the venv.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("app", choices=["hub", "file", "hello"])
    parser.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args, extra = parser.parse_known_args()
    opts: dict[str, str] = {}
    for item in extra:
        if not item.startswith("--") or "=" not in item:
            parser.error(f"options are --name=value, not {item!r}")
        name, value = item[2:].split("=", 1)
        opts[name.replace("-", "_")] = value

    # Extra packages (uvloop, httptools...) from a folder, without installing them in the venv
    # (where they would change what ``continuata-hub serve`` picks).
    if extra_path := opts.pop("pythonpath", None):
        sys.path.insert(0, extra_path)
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [extra_path, os.environ.get("PYTHONPATH")]))

    if args.server == "granian":
        granian = shutil.which("granian", path=str(Path(sys.executable).parent)) or shutil.which("granian")
        if not granian:
            sys.exit("granian is not installed: pip install granian")
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
        cmd = [
            granian, "--interface", "asgi", "--factory", "--host", args.host, "--port", str(args.port),
            "--workers", opts.pop("workers", "1"), "--no-ws", "--log-level", opts.pop("log_level", "warning"),
        ]
        for name, value in opts.items():
            flag = "--" + name.replace("_", "-")
            if value in {"0", "1", "true", "false"} and name in {"access_log", "log", "http1_keep_alive"}:
                cmd.append(flag if value in {"1", "true"} else "--no-" + flag[2:])
            else:
                cmd += [flag, value]
        cmd.append(f"apps:{args.app}_app")
        os.execv(granian, cmd)

    import uvicorn

    sys.path.insert(0, str(HERE))
    from apps import APPS

    access_log = opts.pop("access_log", "1") in {"1", "true", "yes"}
    workers = int(opts.pop("workers", "1"))
    kwargs = dict(
        host=args.host,
        port=args.port,
        log_level=opts.pop("log_level", "info"),
        proxy_headers=True,
        server_header=False,
        http=opts.pop("http", "auto"),
        loop=opts.pop("loop", "auto"),
        access_log=access_log,
    )
    if opts:
        sys.exit(f"unknown uvicorn options: {sorted(opts)}")
    if workers > 1:  # uvicorn's supervisor: each process imports the factory (as `serve --workers N`)
        uvicorn.run(f"apps:{args.app}_app", factory=True, workers=workers, **kwargs)
    else:
        uvicorn.run(APPS[args.app](), **kwargs)


if __name__ == "__main__":
    main()

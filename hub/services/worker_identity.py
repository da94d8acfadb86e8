"""Who holds a work queue's claim, and whether that process is certainly dead.

A claim names its worker as ``host/pid/nonce``: the machine's host name, the
process id, and a random nonce drawn when the process first claims. A
worker that starts on the same host can then tell, without waiting for any
lease, that a claim's holder is gone:

- the holder's pid is this process's own pid with another nonce (a
  container's PID 1 restarted: an earlier life of this very process), or
- no process with the holder's pid exists any more.

Anything else (another host, or a pid that is alive, perhaps reused by an
unrelated process) is left to the lease, which live workers keep renewing.
Host names must therefore differ between the machines that share one
database, as they do by default (containers get their own).
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerIdentity:
    host: str
    pid: int
    nonce: str

    def __str__(self) -> str:
        return f"{self.host}/{self.pid}/{self.nonce}"

    @classmethod
    def parse(cls, text: str | None) -> WorkerIdentity | None:
        """The identity written by ``str()``, or None for anything else."""
        parts = (text or "").rsplit("/", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        host, pid, nonce = parts
        return cls(host=host, pid=int(pid), nonce=nonce)


_current: WorkerIdentity | None = None


def this_worker() -> WorkerIdentity:
    """This process's identity (a forked child gets its own)."""
    global _current
    if _current is None or _current.pid != os.getpid():
        # At most 200 characters with the pid and nonce (the column's length).
        _current = WorkerIdentity(host=socket.gethostname()[:150], pid=os.getpid(), nonce=secrets.token_hex(8))
    return _current


def is_certainly_dead(holder: WorkerIdentity) -> bool:
    """True only when the holder's process can be shown to be gone."""
    me = this_worker()
    if holder.host != me.host or holder == me:
        return False
    if holder.pid == me.pid:
        return True  # our pid, another nonce: this process's earlier life
    try:
        os.kill(holder.pid, 0)  # signal 0: "does it exist?", nothing is sent
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # exists, under another user
    return False

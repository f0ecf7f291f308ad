"""A watchdog process that kills a control plane's process groups when its owner dies.

Why a separate process: atexit hooks and signal handlers cover a normal exit, an exception and
SIGTERM, but not SIGKILL, ``os._exit`` or a crash of the owning Python process -- and those leave
an etcd and a kube-apiserver running, holding ports and memory, until someone notices. The owner
keeps the write end of this process's stdin open; the kernel closes it however the owner ends, so
end-of-file here is a reliable "owner is gone" signal that needs no polling and works whichever
thread started the control plane (unlike ``PR_SET_PDEATHSIG``, which fires when the *thread* exits).

Protocol on stdin, one item per line: a process-group id to guard, or ``release`` meaning the owner
stopped everything itself and nothing is left to do. On EOF without ``release``, every guarded
group gets SIGTERM and, after a short grace period, SIGKILL.

Run as a script with ``python -I reaper.py`` (not ``-m``): it imports only the standard library,
so it starts in a few milliseconds and does not depend on how the package is installed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

GRACE_SECONDS = 5.0


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_groups(pgids: list[int]) -> None:
    """Stop the groups one at a time, last registered first.

    The owner registers etcd before kube-apiserver; stopping the API server while etcd still
    answers lets it shut down in about a second, where with etcd gone it would hang until SIGKILL.
    """
    for pgid in reversed(pgids):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and _alive(pgid):
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


def main() -> int:
    # The owner's terminal must not stop the reaper before it has done its job.
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    pgids: list[int] = []
    for line in sys.stdin:
        word = line.strip()
        if word == "release":
            return 0
        if word.isdigit():
            pgids.append(int(word))
    _kill_groups(pgids)
    return 0


if __name__ == "__main__":
    sys.exit(main())

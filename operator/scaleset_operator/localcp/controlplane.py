"""A real, local Kubernetes control plane: etcd + kube-apiserver on loopback, envtest-style.

Why a real API server rather than a fake: the operator's correctness depends on behaviour only the
API server has -- OpenAPI schema validation of custom resources, the status subresource not bumping
``metadata.generation``, resourceVersion conflicts, RBAC, watches, TokenRequest. A fake would have
to re-implement each of these and would drift. Starting the real pair takes seconds.

What it is not: there is no kube-controller-manager, scheduler or kubelet. So nothing creates the
``default`` ServiceAccount in a namespace, deleted namespaces stay ``Terminating``, owner references
are not garbage-collected and pods are never scheduled. The ``ServiceAccount`` admission plugin is
disabled (as envtest does) so creating a pod does not fail on the missing ``default`` account.

Security posture: secure serving only (no insecure port), TLS with a per-start CA, client-cert
authentication, ``--authorization-mode=RBAC``. The admin kubeconfig authenticates as a member of
``system:masters``; :meth:`ControlPlane.mint_kubeconfig` creates any other identity so tests can
check that RBAC really denies what it should.

Cleanup: :meth:`ControlPlane.stop` kills both process groups and frees the ports. As a safety net,
an owned (non-detached) control plane is also stopped by an ``atexit`` hook and on SIGTERM/SIGHUP,
and a tiny watchdog process (``reaper.py``) kills it if the owning Python process dies in a way no
hook sees (SIGKILL, ``os._exit``). A *detached* control plane (``scaleset-operator local up``) is
meant to outlive its starter and has none of these; ``local down`` stops it.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Self

from scaleset_operator.localcp.assets import Assets, find_assets
from scaleset_operator.localcp.kubeconfig import write_kubeconfig
from scaleset_operator.pki import (
    ADMIN_GROUPS,
    ADMIN_USER,
    CertificateAuthority,
    KeyPair,
    generate_service_account_key,
)

__all__ = [
    "ControlPlane",
    "ControlPlaneError",
    "Ports",
    "allocate_ports",
    "apiserver_ready",
    "port_is_free",
    "terminate_process_group",
]

LOOPBACK = "127.0.0.1"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
DEFAULT_SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/24"
_PORT_CLASH_ATTEMPTS = 3
_STOP_GRACE_SECONDS = 5.0
_SPAWN_HEADER = "\n--- spawned "


class ControlPlaneError(RuntimeError):
    """The control plane did not start (the message carries the tail of the relevant log)."""


@dataclass(frozen=True)
class Ports:
    """The loopback ports one control plane listens on."""

    etcd_client: int
    etcd_peer: int
    apiserver: int


def allocate_ports(count: int) -> list[int]:
    """Pick ``count`` distinct free loopback ports by binding to port 0.

    The sockets are closed before the servers bind, so another process can grab a port in between;
    :meth:`ControlPlane.start` detects that ("address already in use") and retries with new ports.
    """
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """True when nothing listens on ``host:port`` and a server could bind it again."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        if probe.connect_ex((host, port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Servers (Go's net.Listen included) set SO_REUSEADDR, so lingering TIME_WAIT connections
        # from clients do not keep a port "busy" for them; test the same way.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a zombie has exited; only its entry is left)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            # Field 3, after the parenthesised command name (which may itself contain spaces).
            state = stat.read().rpartition(b")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != b"Z"


def terminate_process_group(pid: int, grace: float = _STOP_GRACE_SECONDS, *, wait_reaped: bool = False) -> None:
    """SIGTERM the process group led by ``pid``, then SIGKILL it if still alive after ``grace``.

    Works for processes this Python process did not start (``local down``); the caller must have
    checked the pid still belongs to the process it means (see ``local_cluster``). Such a process
    is not our child, so we cannot reap it: with ``wait_reaped`` we also wait (up to ``grace``) for
    its new parent (init) to do so, so that ``pgrep`` right after ``local down`` shows nothing, not
    even a ``<defunct>`` entry. Our own children are reaped by ``Popen.wait`` instead.
    """
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            break
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        gone = not Path(f"/proc/{pid}").exists()
        if gone or (not wait_reaped and not _pid_alive(pid)):
            break
        time.sleep(0.05)


def _ssl_context(ca_pem: bytes, cert_file: Path, key_file: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=ca_pem.decode("ascii"))
    context.load_cert_chain(cert_file, key_file)
    return context


def apiserver_ready(server_port: int, ca_pem: bytes, cert_file: Path, key_file: Path, timeout: float = 2.0) -> bool:
    """One ``GET /readyz`` over TLS with a client cert; True on HTTP 200.

    ``/readyz`` (not ``/healthz`` or an open port) because it turns 200 only once every post-start
    hook has run -- notably RBAC's bootstrap roles and the CRD controllers -- which is the point at
    which a test's first request behaves like it would on a real cluster.
    """
    connection = http.client.HTTPSConnection(
        LOOPBACK, server_port, context=_ssl_context(ca_pem, cert_file, key_file), timeout=timeout
    )
    try:
        connection.request("GET", "/readyz")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def _etcd_healthy(client_port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{client_port}/health", timeout=1.0) as response:
            return response.status == 200 and b'"true"' in response.read()
    except (OSError, urllib.error.URLError):
        return False


def _tail(path: Path, lines: int = 25) -> str:
    """The last ``lines`` of ``path`` written since the most recent spawn header (see ``_spawn``)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    current = text.rpartition(_SPAWN_HEADER)[2]
    return "\n".join(current.splitlines()[-lines:])


class _PortClash(Exception):
    """A server could not bind a port picked for it; the caller retries with fresh ports."""


# -- the safety net ------------------------------------------------------------------------------

_owned: set[ControlPlane] = set()
# Re-entrant: the signal handler runs on the main thread and may interrupt a stop() in progress.
_owned_lock = threading.RLock()
_net_installed = False


def _stop_all_owned() -> None:
    with _owned_lock:
        planes = list(_owned)
    for plane in planes:
        with contextlib.suppress(Exception):
            plane.stop()


def _on_fatal_signal(signum: int, frame: FrameType | None) -> None:
    _stop_all_owned()
    # Die of the same signal, as the default action would have, so the exit status stays truthful.
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_safety_net() -> None:
    """Register the atexit hook once, and SIGTERM/SIGHUP handlers where nobody else handles them.

    Only default dispositions are replaced: a program with its own handler (an asyncio loop, kopf)
    keeps it and relies on the atexit hook and the reaper. SIGINT needs nothing: Python turns it
    into KeyboardInterrupt, which runs context managers, fixture teardown and atexit.
    """
    global _net_installed
    if _net_installed:
        return
    _net_installed = True
    atexit.register(_stop_all_owned)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) is signal.SIG_DFL:
                signal.signal(sig, _on_fatal_signal)


# -- the control plane ---------------------------------------------------------------------------


class ControlPlane:
    """etcd + kube-apiserver on free loopback ports, in a private directory.

    Typical use::

        with ControlPlane() as cp:
            subprocess.run(["kubectl", "--kubeconfig", cp.kubeconfig, "get", "ns"], check=True)

    ``work_dir`` defaults to a fresh temporary directory that :meth:`stop` removes; a given
    directory is kept (its previous etcd data and certs are replaced on start). ``detached=True``
    lets the processes outlive this Python process (no atexit hook, no reaper): the caller is
    responsible for stopping them later, by pid (see ``local_cluster``).
    """

    def __init__(
        self,
        *,
        assets: Assets | None = None,
        work_dir: Path | None = None,
        detached: bool = False,
        startup_timeout: float = 60.0,
        service_cluster_ip_range: str = DEFAULT_SERVICE_CLUSTER_IP_RANGE,
        extra_apiserver_args: Sequence[str] = (),
        extra_etcd_args: Sequence[str] = (),
    ) -> None:
        self._assets = assets
        self._given_work_dir = work_dir
        self._work_dir: Path | None = None
        self.detached = detached
        self.startup_timeout = startup_timeout
        self.service_cluster_ip_range = service_cluster_ip_range
        self.extra_apiserver_args = tuple(extra_apiserver_args)
        self.extra_etcd_args = tuple(extra_etcd_args)
        self._ca: CertificateAuthority | None = None
        self._ports: Ports | None = None
        self._etcd: subprocess.Popen[bytes] | None = None
        self._apiserver: subprocess.Popen[bytes] | None = None
        self._reaper: subprocess.Popen[bytes] | None = None
        self._stop_lock = threading.RLock()
        self.startup_seconds: float | None = None
        """Wall time of the last successful :meth:`start`, from call to ``/readyz`` = 200."""
        self.timings: dict[str, float] = {}
        """Where that time went: ``pki``, ``etcd`` (until healthy), ``kube-apiserver`` (until ready)."""

    # -- properties (valid after start) --------------------------------------------------------

    def _require_started(self) -> tuple[Path, Ports, CertificateAuthority]:
        if self._work_dir is None or self._ports is None or self._ca is None:
            raise ControlPlaneError("the control plane is not started")
        return self._work_dir, self._ports, self._ca

    @property
    def work_dir(self) -> Path:
        """The private directory: ``pki/``, ``etcd/`` data, ``logs/``, ``kubeconfig``, ``identities/``."""
        if self._work_dir is None:
            raise ControlPlaneError("the control plane is not started")
        return self._work_dir

    @property
    def ports(self) -> Ports:
        """The ports of the current (or, after :meth:`stop`, the last) run."""
        if self._ports is None:
            raise ControlPlaneError("the control plane is not started")
        return self._ports

    @property
    def server(self) -> str:
        """The API server URL, ``https://127.0.0.1:<port>``."""
        return f"https://{LOOPBACK}:{self.ports.apiserver}"

    @property
    def ca_pem(self) -> bytes:
        """The CA that signed the serving cert and every client cert (also ``pki/ca.crt``)."""
        return self._require_started()[2].cert_pem

    @property
    def ca_file(self) -> Path:
        return self.work_dir / "pki" / "ca.crt"

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (user ``scaleset-admin``, group ``system:masters``)."""
        return self.work_dir / "kubeconfig"

    @property
    def pids(self) -> dict[str, int]:
        """``{"etcd": pid, "kube-apiserver": pid}`` of the running processes (each leads its group)."""
        found: dict[str, int] = {}
        if self._etcd is not None:
            found["etcd"] = self._etcd.pid
        if self._apiserver is not None:
            found["kube-apiserver"] = self._apiserver.pid
        return found

    @property
    def log_files(self) -> dict[str, Path]:
        logs = self.work_dir / "logs"
        return {"etcd": logs / "etcd.log", "kube-apiserver": logs / "kube-apiserver.log"}

    def is_running(self) -> bool:
        """Both processes alive (readiness is :meth:`is_ready`)."""
        return all(p is not None and p.poll() is None for p in (self._etcd, self._apiserver))

    def is_ready(self, timeout: float = 2.0) -> bool:
        """The API server answers ``/readyz`` with 200 right now."""
        work_dir, ports, ca = self._require_started()
        pki = work_dir / "pki"
        return apiserver_ready(ports.apiserver, ca.cert_pem, pki / "admin.crt", pki / "admin.key", timeout)

    # -- identities ----------------------------------------------------------------------------

    def mint_kubeconfig(
        self,
        user: str,
        groups: Sequence[str] = (),
        *,
        path: Path | None = None,
        namespace: str | None = None,
    ) -> Path:
        """Write a kubeconfig that authenticates as ``user`` in ``groups`` via a fresh client cert.

        The identity has no permissions beyond what RBAC grants ``system:authenticated`` until a
        (Cluster)RoleBinding names it, which is exactly what a test of RBAC rules wants.
        """
        work_dir, _, ca = self._require_started()
        if path is None:
            # Unique per call: the same user minted with other groups must not overwrite a file
            # another test still uses.
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in user)
            path = work_dir / "identities" / f"{safe}-{uuid.uuid4().hex[:8]}.kubeconfig"
        return write_kubeconfig(
            path,
            server=self.server,
            ca_pem=ca.cert_pem,
            user=user,
            client=ca.issue_client_cert(user, groups),
            namespace=namespace,
        )

    def token_kubeconfig(
        self, token: str, *, user: str = "token-user", path: Path | None = None, namespace: str | None = None
    ) -> Path:
        """Write a kubeconfig that authenticates with a bearer ``token`` (e.g. from TokenRequest)."""
        work_dir, _, ca = self._require_started()
        if path is None:
            path = work_dir / "identities" / f"token-{uuid.uuid4().hex[:8]}.kubeconfig"
        return write_kubeconfig(
            path, server=self.server, ca_pem=ca.cert_pem, user=user, token=token, namespace=namespace
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Self:
        """Start etcd, then kube-apiserver, and return once ``/readyz`` answers 200.

        Raises :class:`ControlPlaneError` (with log tails) if either fails or the API server is not
        ready within ``startup_timeout``; whatever was started is stopped again first.
        """
        if self._etcd is not None or self._apiserver is not None:
            raise ControlPlaneError("already started")
        began = time.monotonic()
        assets = self._assets or find_assets()
        if self._given_work_dir is None:
            self._work_dir = Path(tempfile.mkdtemp(prefix="scaleset-cp-"))
        else:
            self._work_dir = self._given_work_dir.resolve()
            self._work_dir.mkdir(parents=True, exist_ok=True)
            for stale in ("etcd", "pki", "identities", "kubeconfig"):
                target = self._work_dir / stale
                if target.is_dir():
                    shutil.rmtree(target)
                elif target.exists():
                    target.unlink()
        if not self.detached:
            _install_safety_net()
            with _owned_lock:
                _owned.add(self)
        try:
            self._write_pki()
            self.timings = {"pki": time.monotonic() - began}
            for attempt in range(_PORT_CLASH_ATTEMPTS):
                try:
                    self._start_processes(assets)
                    break
                except _PortClash:
                    self._stop_processes()
                    if attempt == _PORT_CLASH_ATTEMPTS - 1:
                        raise ControlPlaneError("could not bind free loopback ports after retries") from None
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def _write_pki(self) -> None:
        assert self._work_dir is not None
        pki = self._work_dir / "pki"
        self._ca = CertificateAuthority.generate()
        self._ca.as_key_pair().write(pki, "ca")
        self._ca.issue_serving_cert().write(pki, "apiserver")
        self._ca.issue_client_cert(ADMIN_USER, ADMIN_GROUPS).write(pki, "admin")
        sa_key = pki / "service-account.key"
        sa_key.touch(mode=0o600)
        sa_key.write_bytes(generate_service_account_key())

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        """Start one server in its own session (own process group, no controlling terminal).

        Own group: ``stop`` can kill it whole with ``killpg``, and the terminal's Ctrl-C reaches only
        the test runner, whose teardown then stops the servers in order.
        """
        log_path = self.log_files[name]
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log: IO[bytes]
        with open(log_path, "ab") as log:
            log.write(f"{_SPAWN_HEADER}{time.strftime('%Y-%m-%dT%H:%M:%S')}: {' '.join(argv)}\n".encode())
            log.flush()
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.work_dir,
                start_new_session=True,
            )
        if self._reaper is not None and self._reaper.stdin is not None:
            with contextlib.suppress(OSError):
                self._reaper.stdin.write(f"{process.pid}\n".encode())
                self._reaper.stdin.flush()
        return process

    def _start_reaper(self) -> None:
        if self.detached or self._reaper is not None:
            return
        self._reaper = subprocess.Popen(
            [sys.executable, "-I", str(Path(__file__).with_name("reaper.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def _wait_until(
        self, name: str, process: subprocess.Popen[bytes], ready: Callable[[], bool], deadline: float
    ) -> None:
        while True:
            if ready():
                return
            if process.poll() is not None:
                log = self.log_files[name]
                tail = _tail(log)
                if "address already in use" in tail:
                    raise _PortClash(name)
                raise ControlPlaneError(
                    f"{name} exited with status {process.returncode} during startup; last lines of {log}:\n{tail}"
                )
            if time.monotonic() > deadline:
                raise ControlPlaneError(
                    f"{name} not ready within {self.startup_timeout:.0f}s; "
                    f"last lines of {self.log_files[name]}:\n{_tail(self.log_files[name])}"
                )
            time.sleep(0.05)

    def _start_processes(self, assets: Assets) -> None:
        work_dir = self.work_dir
        etcd_client, etcd_peer, apiserver_port = allocate_ports(3)
        self._ports = Ports(etcd_client, etcd_peer, apiserver_port)
        self._start_reaper()
        deadline = time.monotonic() + self.startup_timeout

        etcd_data = work_dir / "etcd"
        if etcd_data.exists():  # a previous attempt's member id would not match the new peer URL
            shutil.rmtree(etcd_data)
        t0 = time.monotonic()
        client_url, peer_url = f"http://{LOOPBACK}:{etcd_client}", f"http://{LOOPBACK}:{etcd_peer}"
        self._etcd = self._spawn(
            "etcd",
            [
                str(assets.etcd),
                "--name=scaleset-local",
                f"--data-dir={etcd_data}",
                f"--listen-client-urls={client_url}",
                f"--advertise-client-urls={client_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=scaleset-local={peer_url}",
                "--initial-cluster-state=new",
                # Throwaway data: skipping fsync makes every write (and so every test) much faster.
                "--unsafe-no-fsync",
                "--log-level=warn",
                *self.extra_etcd_args,
            ],
        )
        self._wait_until("etcd", self._etcd, lambda: _etcd_healthy(etcd_client), deadline)
        self.timings["etcd"] = time.monotonic() - t0

        t0 = time.monotonic()
        pki = work_dir / "pki"
        self._apiserver = self._spawn(
            "kube-apiserver",
            [
                str(assets.kube_apiserver),
                f"--etcd-servers={client_url}",
                f"--bind-address={LOOPBACK}",
                f"--advertise-address={LOOPBACK}",
                f"--secure-port={apiserver_port}",
                f"--cert-dir={work_dir / 'apiserver'}",
                f"--tls-cert-file={pki / 'apiserver.crt'}",
                f"--tls-private-key-file={pki / 'apiserver.key'}",
                f"--client-ca-file={pki / 'ca.crt'}",
                "--authorization-mode=RBAC",
                f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
                f"--service-account-key-file={pki / 'service-account.key'}",
                f"--service-account-signing-key-file={pki / 'service-account.key'}",
                f"--service-cluster-ip-range={self.service_cluster_ip_range}",
                "--allow-privileged=true",
                # No controller-manager creates `default` ServiceAccounts; without this every pod
                # create would be refused. envtest makes the same choice.
                "--disable-admission-plugins=ServiceAccount",
                # The default reconciler publishes --advertise-address as the `kubernetes` Service's
                # endpoint, which validation refuses for loopback: it would log an error every 10s.
                "--endpoint-reconciler-type=none",
                "--profiling=false",
                *self.extra_apiserver_args,
            ],
        )
        ca_pem = self.ca_pem
        self._wait_until(
            "kube-apiserver",
            self._apiserver,
            lambda: apiserver_ready(apiserver_port, ca_pem, pki / "admin.crt", pki / "admin.key", 1.0),
            deadline,
        )
        self.timings["kube-apiserver"] = time.monotonic() - t0
        write_kubeconfig(
            self.kubeconfig,
            server=self.server,
            ca_pem=ca_pem,
            user=ADMIN_USER,
            client=self._admin_key_pair(),
        )

    def _admin_key_pair(self) -> KeyPair:
        pki = self.work_dir / "pki"
        return KeyPair((pki / "admin.crt").read_bytes(), (pki / "admin.key").read_bytes())

    def _stop_processes(self) -> None:
        # The API server first: stopped after etcd it would spend its grace period retrying etcd.
        for process in (self._apiserver, self._etcd):
            if process is not None and process.poll() is None:
                terminate_process_group(process.pid)
            if process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=_STOP_GRACE_SECONDS)
        self._apiserver = self._etcd = None

    def stop(self) -> None:
        """Kill both process groups, wait for them, free the ports; idempotent.

        A temporary work dir is removed; a given ``work_dir`` keeps its logs and certs (they help
        debugging) but loses the etcd data. A detached control plane is stopped too if this object
        started it.
        """
        with self._stop_lock:
            self._stop_processes()
            if self._reaper is not None:
                if self._reaper.stdin is not None:
                    with contextlib.suppress(OSError):
                        self._reaper.stdin.write(b"release\n")
                        self._reaper.stdin.close()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._reaper.wait(timeout=5)
                self._reaper = None
            with _owned_lock:
                _owned.discard(self)
            if self._work_dir is not None:
                if self._given_work_dir is None:
                    shutil.rmtree(self._work_dir, ignore_errors=True)
                else:
                    # etcd preallocates 64 MB of WAL and the next start wipes the data anyway.
                    shutil.rmtree(self._work_dir / "etcd", ignore_errors=True)

    def __repr__(self) -> str:
        state = f"{self.server} pids={self.pids}" if self._ports is not None else "not started"
        return f"<ControlPlane {state}>"

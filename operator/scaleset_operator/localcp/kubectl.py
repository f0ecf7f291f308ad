"""Run the real ``kubectl`` against a kubeconfig, the way a user would type it.

Tests (and ``make demo``) drive the cluster through kubectl rather than only through a client
library because kubectl is what users run: its error output, its ``apply`` semantics and its
``--subresource`` / ``create token`` / ``auth whoami`` behaviour are part of what we promise.
Nothing here depends on pytest; failures raise :class:`KubectlError` (an ``AssertionError``, so
pytest shows its message as a test failure) carrying the command, exit code, stderr and stdout.
"""

from __future__ import annotations

import json
import os
import selectors
import shlex
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from scaleset_operator.localcp.assets import find_kubectl

__all__ = ["Kubectl", "KubectlError", "Watch"]


class KubectlError(AssertionError):
    """kubectl did not do what the caller required (the message has the command and its output)."""


@dataclass(frozen=True)
class Kubectl:
    """The real kubectl, pointed at one kubeconfig through ``$KUBECONFIG``.

    ``kubectl("get", "ns")`` returns the ``CompletedProcess`` whatever the exit code (for checks
    that expect a refusal); :meth:`ok` raises :class:`KubectlError` unless kubectl succeeded;
    :meth:`fails` is its mirror image and returns the result so its stderr can be asserted on.
    """

    kubeconfig: Path
    binary: Path = field(default_factory=find_kubectl)
    timeout: float = 60.0
    env: Mapping[str, str] = field(default_factory=dict)

    def _env(self) -> dict[str, str]:
        return {**os.environ, **self.env, "KUBECONFIG": str(self.kubeconfig)}

    @staticmethod
    def command_line(*args: str) -> str:
        """The command as a user would type it (for messages)."""
        return shlex.join(["kubectl", *args])

    def __call__(
        self, *args: str, input: str | None = None, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.binary), *args],
            input=input,
            capture_output=True,
            text=True,
            env=self._env(),
            timeout=timeout or self.timeout,
            check=False,
        )

    def describe(self, args: tuple[str, ...], result: subprocess.CompletedProcess[str]) -> str:
        return (
            f"`{self.command_line(*args)}` (KUBECONFIG={self.kubeconfig}) exited {result.returncode}\n"
            f"--- stderr ---\n{result.stderr}--- stdout ---\n{result.stdout}"
        )

    def ok(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run and require exit code 0."""
        result = self(*args, input=input)
        if result.returncode != 0:
            raise KubectlError(self.describe(args, result))
        return result

    def fails(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run and require a non-zero exit code; return the result to inspect stderr."""
        result = self(*args, input=input)
        if result.returncode == 0:
            raise KubectlError("expected a failure, but " + self.describe(args, result))
        return result

    def json(self, *args: str) -> Any:
        """``kubectl <args> -o json``, parsed."""
        return json.loads(self.ok(*args, "-o", "json").stdout)

    def apply(self, *manifests: Mapping[str, Any], namespace: str | None = None) -> str:
        """``kubectl apply -f -`` with the manifests as YAML on stdin; returns kubectl's stdout."""
        args = ["apply", "-f", "-"] + (["-n", namespace] if namespace else [])
        return self.ok(*args, input=yaml.safe_dump_all([dict(m) for m in manifests])).stdout

    def with_kubeconfig(self, kubeconfig: Path) -> Kubectl:
        """The same kubectl acting as another identity."""
        return replace(self, kubeconfig=kubeconfig)

    @contextmanager
    def watch(self, *args: str) -> Iterator[Watch]:
        """Run a long-lived kubectl (``get -w``, ``logs -f``) and stop it on exit."""
        process = subprocess.Popen(
            [str(self.binary), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # errors show up in Watch.lines, and so in failure messages
            env=self._env(),
        )
        try:
            yield Watch(self.command_line(*args), process)
        finally:
            process.kill()
            process.communicate(timeout=10)


@dataclass
class Watch:
    """The stdout of a running kubectl, read line by line.

    Reads the raw pipe with ``os.read`` rather than ``readline`` on a buffered file: a buffered
    reader may swallow several lines in one read, after which ``select`` reports nothing new and
    a line already received would never be seen.
    """

    command: str
    process: subprocess.Popen[bytes]
    lines: list[str] = field(default_factory=list)
    _pending: bytes = b""
    _unread: list[str] = field(default_factory=list)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 20.0) -> str:
        """Read lines until one satisfies ``predicate`` and return it; raise if none does in time."""
        stdout = self.process.stdout
        assert stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while True:
                while self._unread:
                    line = self._unread.pop(0)
                    if predicate(line):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(timeout=remaining):
                    break
                chunk = os.read(stdout.fileno(), 65536)
                if not chunk:
                    break  # EOF: kubectl ended
                *complete, self._pending = (self._pending + chunk).split(b"\n")
                decoded = [c.decode(errors="replace") for c in complete]
                self.lines.extend(decoded)
                self._unread.extend(decoded)
        raise KubectlError(
            f"`{self.command}`: no matching line within {timeout:.0f}s (exit code {self.process.poll()}); "
            f"read so far: {self.lines!r}"
        )

"""``scaleset-operator status NAME [-n NS] [--watch]``: one ScaleSet, drawn (cli/status_view.py).

Reads the ScaleSet with the Kubernetes client, as ``kubectl get`` does (the kubeconfig's current
context and namespace unless told otherwise). ``--watch`` redraws it in place every ``--interval``
seconds until interrupted; ``--until-ready`` stops once it is Ready for its current generation (exit 0)
or Stalled (exit 1). ``make demo`` draws its rollout with :func:`watch`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from scaleset_operator import GROUP, VERSION

Obj = dict[str, Any]
EXIT_NOT_FOUND = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show one ScaleSet: instances by update domain and zone, rollout progress, blocker",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", help="the ScaleSet")
    parser.add_argument("--namespace", "-n", help="default: the kubeconfig context's namespace, else default")
    parser.add_argument("--kubeconfig", help="default: $KUBECONFIG / ~/.kube/config, or in-cluster")
    parser.add_argument("--watch", "-w", action="store_true", help="redraw in place until interrupted")
    parser.add_argument("--interval", type=float, default=1.0, help="--watch: seconds between reads")
    parser.add_argument(
        "--until-ready", action="store_true", help="--watch: exit 0 once Ready for the current generation, 1 if Stalled"
    )
    parser.set_defaults(func=run)


def reader(name: str, namespace: str | None, kubeconfig: str | None) -> tuple[Callable[[], Obj | None], str]:
    """A function that reads the ScaleSet (None while it does not exist), and the namespace it reads in."""
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException

    try:
        config.load_kube_config(config_file=kubeconfig)  # type: ignore[no-untyped-call]
        _, context = config.list_kube_config_contexts(config_file=kubeconfig)  # type: ignore[no-untyped-call]
        default = (context or {}).get("context", {}).get("namespace") or "default"
    except config.ConfigException:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
        default = "default"
    where = namespace or default
    api = client.CustomObjectsApi()

    def read() -> Obj | None:
        try:
            found = api.get_namespaced_custom_object(GROUP, VERSION, where, "scalesets", name)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return cast(Obj, found)  # the client returns the decoded JSON object

    return read, where


def converged(obj: Mapping[str, Any]) -> bool:
    """Ready=True for the generation the spec is at."""
    status = obj.get("status") or {}
    ready: Mapping[str, Any] = next((c for c in status.get("conditions") or [] if c["type"] == "Ready"), {})
    return bool(ready.get("status") == "True" and status.get("observedGeneration") == obj["metadata"].get("generation"))


def stalled(obj: Mapping[str, Any]) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Stalled" and c["status"] == "True" for c in conditions)


def watch(
    read: Callable[[], Obj | None],
    *,
    missing: str,
    until: Callable[[Obj], bool] | None = None,
    interval: float = 1.0,
    timeout: float | None = None,
    title: str | None = None,
    console: Any = None,
) -> Obj | None:
    """Redraw the ScaleSet in place (rich Live) until ``until`` holds; on a pipe, print the last frame.

    Returns the last object read; raises TimeoutError after ``timeout`` seconds.
    """
    from rich.live import Live
    from rich.text import Text

    from scaleset_operator.cli.status_view import render

    deadline = None if timeout is None else time.monotonic() + timeout
    obj: Obj | None = None
    with Live(Text(""), console=console, auto_refresh=False, vertical_overflow="visible") as live:
        while True:
            obj = read()
            live.update(render(obj, title) if obj else Text(missing, style="yellow"), refresh=True)
            if obj is not None and until is not None and until(obj):
                return obj
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"{missing if obj is None else 'the ScaleSet'} did not get there in {timeout:.0f}s")
            time.sleep(interval)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from scaleset_operator.cli.status_view import render

    read, namespace = reader(args.name, args.namespace, args.kubeconfig)
    missing = f"ScaleSet {args.name} not found in namespace {namespace}"
    console = Console()
    if not args.watch:
        obj = read()
        if obj is None:
            print(missing, file=sys.stderr)
            return EXIT_NOT_FOUND
        console.print(render(obj))
        return 0
    until = (lambda o: converged(o) or stalled(o)) if args.until_ready else None
    try:
        last = watch(read, missing=missing + " (waiting)", until=until, interval=args.interval, console=console)
    except KeyboardInterrupt:
        return 0
    return 1 if last is not None and stalled(last) and not converged(last) else 0

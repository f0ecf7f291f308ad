"""``scaleset-operator diff -f FILE``: what applying a ScaleSet manifest would do, before it is applied.

For each ScaleSet in FILE (``-`` reads stdin): a server-side dry run of the apply (``kubectl apply
--server-side --dry-run=server``: the API server applies defaults and refuses what its CEL rules
refuse, naming the field), then the operator's own classification of the change, field by field
(``cloud/changes.py`` via ``planner/change_preview.judge``, the code behind ``status.changePreview``):
no change, capacity only, no instance impact, new instances only, model upgrade under the policy,
reimage required (on which instances, and why), or refused. Nothing is written.

Exit status, as ``kubectl diff``: 0 no change, 1 changes, 2 refused or an error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from scaleset_operator import GROUP, VERSION
from scaleset_operator.api.scaleset import KIND, PLURAL, ScaleSetSpec
from scaleset_operator.cloud.changes import Impact, classify
from scaleset_operator.planner.change_preview import RANK, judge

EXIT_CHANGES, EXIT_REFUSED = 1, 2
FIELD_MANAGER = "scaleset-operator-diff"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="what applying a ScaleSet manifest would do (server-side dry run + the operator's classification)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-f", "--filename", required=True, help="a YAML manifest, or - for stdin")
    parser.add_argument("--namespace", "-n", help="default: the manifest's, else the kubeconfig context's")
    parser.add_argument("--kubeconfig", help="default: $KUBECONFIG / ~/.kube/config, or in-cluster")
    parser.add_argument("--output", "-o", choices=("text", "json"), default="text")
    parser.set_defaults(func=run)


@dataclass
class Verdict:
    """One ScaleSet's classification (``--output json`` prints these)."""

    name: str
    namespace: str
    classification: str
    message: str
    disruption: str = "None"
    held: bool = False
    changes: list[dict[str, Any]] = field(default_factory=list)
    reimageInstances: list[str] = field(default_factory=list)


def documents(path: str) -> Iterator[dict[str, Any]]:
    text = sys.stdin.read() if path == "-" else open(path).read()  # noqa: SIM115
    for doc in yaml.safe_load_all(text):
        if isinstance(doc, dict) and doc.get("kind") == KIND:
            yield doc


def run(args: argparse.Namespace) -> int:
    from kubernetes.client.exceptions import ApiException

    api, default_namespace = _client(args.kubeconfig)
    verdicts = []
    for doc in documents(args.filename):
        namespace = args.namespace or doc.get("metadata", {}).get("namespace") or default_namespace
        try:
            verdicts.append(_diff(api, doc, namespace))
        except ApiException as exc:
            name = doc.get("metadata", {}).get("name", "?")
            verdicts.append(Verdict(name, namespace, "Refused", _api_message(exc)))
    _print(verdicts, args.output)
    if any(v.classification == "Refused" for v in verdicts):
        return EXIT_REFUSED
    return EXIT_CHANGES if any(v.classification != "NoChange" for v in verdicts) else 0


def _client(kubeconfig: str | None) -> tuple[Any, str]:
    from kubernetes import client, config

    try:
        config.load_kube_config(config_file=kubeconfig)  # type: ignore[no-untyped-call]
        _, context = config.list_kube_config_contexts(config_file=kubeconfig)  # type: ignore[no-untyped-call]
        namespace = (context or {}).get("context", {}).get("namespace") or "default"
    except config.ConfigException:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
        namespace = "default"
    return client.CustomObjectsApi(), namespace


def _diff(api: Any, doc: dict[str, Any], namespace: str) -> Verdict:
    from kubernetes.client.exceptions import ApiException

    name = doc["metadata"]["name"]
    body = {**doc, "metadata": {**doc["metadata"], "namespace": namespace}}
    try:
        live = api.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
    except ApiException as exc:
        if exc.status != 404:
            raise
        api.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body, dry_run="All")
        capacity = doc.get("spec", {}).get("sku", {}).get("capacity", 0)
        return Verdict(name, namespace, "Create", f"creates the scale set with {capacity} instances")
    applied = api.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        namespace,
        PLURAL,
        name,
        body,
        dry_run="All",
        field_manager=FIELD_MANAGER,
        force=True,
        _content_type="application/apply-patch+yaml",
    )
    return verdict(live, applied)


def verdict(live: Mapping[str, Any], applied: Mapping[str, Any]) -> Verdict:
    """The classification of ``live`` -> ``applied`` (both as the API server returns them)."""
    before = ScaleSetSpec.model_validate(live["spec"])
    after = ScaleSetSpec.model_validate(applied["spec"])
    judged = judge(after, classify(before, after), before.sku.capacity)
    reimage = []
    if any(c.impact is Impact.REIMAGE_NEEDED for c in judged.changes):
        instances = (live.get("status") or {}).get("instances") or []
        reimage = [i["name"] for i in instances if not i.get("protectFromScaleSetActions")]
    return Verdict(
        name=live["metadata"]["name"],
        namespace=live["metadata"]["namespace"],
        classification=judged.kind,
        message=judged.message,
        disruption=judged.disruption,
        held=judged.kind == "Refused" or RANK[judged.disruption] > RANK[after.rolloutPolicy.maxDisruption],
        changes=[
            {"path": c.path, "old": c.old, "new": c.new, "impact": c.impact.label, "reason": c.reason}
            for c in judged.changes
        ],
        reimageInstances=reimage,
    )


def _api_message(exc: Any) -> str:
    try:
        return str(json.loads(exc.body).get("message") or exc.reason)
    except (TypeError, ValueError):
        return str(exc.reason)


def _print(verdicts: list[Verdict], output: str) -> None:
    if output == "json":
        print(json.dumps([vars(v) for v in verdicts], indent=2))
        return
    for v in verdicts:
        print(f"ScaleSet {v.namespace}/{v.name}: {v.classification}: {v.message}")
        for change in v.changes:
            old, new = json.dumps(change["old"]), json.dumps(change["new"])
            print(f"  {change['path']}: {old} -> {new} ({change['impact']})")
        if v.reimageInstances:
            names = ", ".join(v.reimageInstances)
            print(f"  reimage required on {len(v.reimageInstances)} instances: {names}")
        if v.held and v.classification != "Refused":
            print(f"  held: disruption {v.disruption} exceeds rolloutPolicy.maxDisruption (needs ApproveChange)")

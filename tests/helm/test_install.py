"""``helm install`` on the local control plane, then the operator run as the chart's identity.

The control plane has no kubelet, so the chart's pods never start. What the chart decides is still
exercised for real: helm installs it (CRDs, ServiceAccount, RBAC, workload, peering objects); the
operator process then runs locally with exactly the container args the chart rendered, authenticated
with a token of the chart's ServiceAccount (``kubectl create token``), and must reconcile a ScaleSet
to Ready with nothing but the chart's RBAC, while requests outside its role are Forbidden.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaleset_operator.localcp import ControlPlane, Kubectl
from scaleset_operator.localcp.controlplane import allocate_ports
from tests.fixtures.operator import OperatorProcess, operator_command, run_operator
from tests.helm.conftest import CHART, REPO_ROOT, Helm, Manifest, find

pytestmark = pytest.mark.controlplane

SCALESETS = "scalesets.scaleset.dev"
# What kopf logs when RBAC keeps it from something it needs (it degrades instead of failing).
RBAC_TROUBLE = ("Forbidden", "status=403", "Not enough permissions", "Unauthorized")


def cli_supports(flag: str) -> bool:
    help_text = subprocess.run([*operator_command(), "run", "--help"], capture_output=True, text=True, check=True)
    return flag in help_text.stdout


def web_scale_set(capacity: int = 2) -> dict[str, Any]:
    manifest: dict[str, Any] = yaml.safe_load((REPO_ROOT / "examples" / "rolling-web-tier.yaml").read_text())
    manifest["spec"]["sku"]["capacity"] = capacity
    return manifest


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def container_args(manifests: list[Manifest], kind: str) -> list[str]:
    workload = find(manifests, kind)
    args: list[str] = workload["spec"]["template"]["spec"]["containers"][0]["args"]
    return args


def with_port(args: list[str], flag: str, port: int) -> list[str]:
    """Replace ``--flag=N`` (two replicas in pods have their own network namespaces; two local
    processes do not, so each gets its own port -- the only change made to the chart's args)."""
    return [f"{flag}={port}" if a.startswith(f"{flag}=") else a for a in args]


def arg_value(args: list[str], flag: str) -> int:
    return int(next(a.split("=", 1)[1] for a in args if a.startswith(f"{flag}=")))


class Release:
    """One helm release on the control plane, uninstalled (and its namespaces dropped) at the end."""

    def __init__(self, helm: Helm, kubectl: Kubectl, name: str, namespace: str) -> None:
        self.helm, self.kubectl, self.name, self.namespace = helm, kubectl, name, namespace
        self.manifests: list[Manifest] = []

    def install(self, values: dict[str, Any]) -> None:
        values_file = self.helm.values_file(values)
        self.helm.ok("install", self.name, str(CHART), "--namespace", self.namespace, "-f", str(values_file))
        status = json.loads(self.helm.ok("status", self.name, "--namespace", self.namespace, "-o", "json").stdout)
        assert status["info"]["status"] == "deployed", status["info"]
        manifest = self.helm.ok("get", "manifest", self.name, "--namespace", self.namespace).stdout
        self.manifests = [d for d in yaml.safe_load_all(manifest) if d]

    @property
    def service_account(self) -> str:
        name: str = find(self.manifests, "ServiceAccount")["metadata"]["name"]
        return name

    @property
    def subject(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.service_account}"

    def token_kubeconfig(self, control_plane: ControlPlane) -> Path:
        """A kubeconfig with a TokenRequest token of the chart's ServiceAccount, as a pod would have."""
        token = self.kubectl.ok(
            "create", "token", self.service_account, "-n", self.namespace, "--duration=1h"
        ).stdout.strip()
        return control_plane.token_kubeconfig(token, user=self.subject)


@pytest.fixture
def release(helm: Helm, control_plane: ControlPlane, kubectl: Kubectl) -> Iterator[Callable[..., Release]]:
    made: list[tuple[Release, list[str]]] = []
    installer = helm.with_kubeconfig(control_plane.kubeconfig)

    def make(*watched: str) -> Release:
        ns = unique("ops")
        for name in (ns, *watched):
            kubectl.ok("create", "namespace", name)
        rel = Release(installer, kubectl, unique("rel"), ns)
        made.append((rel, [ns, *watched]))
        return rel

    yield make
    for rel, namespaces in made:
        installer("uninstall", rel.name, "--namespace", rel.namespace, "--wait=false")
        for ns in namespaces:
            kubectl("delete", "namespace", ns, "--wait=false")


def json_log(path: Path) -> list[dict[str, Any]]:
    """The records of a ``--log-format json`` log: every line is one, bar the fixture's "--- argv" header."""
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("--- ")]
    assert lines, f"{path} is empty"
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"{path}: not a JSON log line: {line!r}") from None
    return records


def namespaced_expectations(
    watched: str, elsewhere: str, home: str, hash_key: str
) -> dict[tuple[str, str, str | None], str]:
    """`kubectl auth can-i VERB RESOURCE -n NS` -> what the chart's namespaced role must answer
    (installed with ``rbac.secretNames: [vm-admin]``; ``home`` is the release namespace)."""
    return {
        ("get", SCALESETS, watched): "yes",
        ("patch", SCALESETS, watched): "yes",
        ("create", SCALESETS, watched): "no",
        ("delete", SCALESETS, watched): "no",
        ("list", SCALESETS, elsewhere): "no",
        ("get", "secrets/vm-admin", watched): "yes",
        ("get", "secrets/other-secret", watched): "no",  # not a listed name
        ("get", "secrets/vm-admin", elsewhere): "no",  # not a watched namespace
        ("list", "secrets", watched): "no",
        ("watch", "secrets", watched): "no",
        ("get", f"secrets/{hash_key}", home): "yes",  # the hash key, by name only
        ("get", "secrets/other-secret", home): "no",
        ("create", "secrets", home): "yes",  # the operator creates the hash key
        ("create", "secrets", watched): "no",
        ("create", "events", watched): "yes",
        ("create", "controllerrevisions.apps", watched): "yes",
        ("create", "jobs.batch", watched): "yes",
        ("delete", "jobs.batch", watched): "no",
        ("list", "pods", watched): "no",
        ("create", "pods", watched): "no",
        ("list", "customresourcedefinitions.apiextensions.k8s.io", None): "yes",
        ("create", "customresourcedefinitions.apiextensions.k8s.io", None): "no",
        ("list", "namespaces", None): "yes",
        ("delete", "namespaces", None): "no",
        ("update", "leases.coordination.k8s.io", home): "yes",  # the shard lease
        ("update", "leases.coordination.k8s.io", watched): "no",
        ("delete", "leases.coordination.k8s.io", home): "no",
    }


def assert_events_name_the_operator(kubectl: Kubectl, namespace: str, pod: str) -> None:
    """Events come from scaleset-operator (not "kopf") and name the replica (POD_ID) that posted them."""
    events = kubectl.json("get", "events", "-n", namespace, "--field-selector", "involvedObject.name=web")
    assert events["items"], "no Events were posted for the ScaleSet"
    for event in events["items"]:
        assert event["source"]["component"] == event["reportingComponent"] == "scaleset-operator", event
        assert event["reportingInstance"] == pod, event


def assert_no_rbac_trouble(*operators: OperatorProcess) -> None:
    for op in operators:
        log = op.log_file.read_text(errors="replace")
        trouble = [line for line in log.splitlines() if any(word in line for word in RBAC_TROUBLE)]
        assert not trouble, f"{op.log_file} shows RBAC trouble:\n" + "\n".join(trouble[:20])


def test_install_then_run_as_the_chart_service_account(
    release: Callable[..., Release],
    control_plane: ControlPlane,
    kubectl: Kubectl,
    tmp_path: Path,
) -> None:
    watched, elsewhere = unique("team"), unique("other")
    rel = release(watched, elsewhere)
    liveness, admin, metrics = allocate_ports(3)
    metrics_supported = cli_supports("--metrics-port")
    rel.install(
        {
            "namespaces": [watched],
            "livenessPort": liveness,
            "simulator": {"speed": 50, "adminPort": admin},
            "metrics": {"enabled": metrics_supported, "port": metrics},
            "rbac": {"secretNames": ["vm-admin"]},
        }
    )
    # What helm created, as the chart promises.
    assert find(rel.manifests, "Deployment")["metadata"]["namespace"] == rel.namespace
    kubectl.ok("get", "serviceaccount", rel.service_account, "-n", rel.namespace)
    kubectl.ok("get", "role,rolebinding", "-n", watched, "-l", f"app.kubernetes.io/instance={rel.name}")
    kubectl.ok("wait", "--for=condition=Established", f"crd/{SCALESETS}", "crd/scalesetoperations.scaleset.dev")

    args = container_args(rel.manifests, "Deployment")
    assert f"--namespace={watched}" in args and f"--liveness-port={liveness}" in args
    sa_kubeconfig = rel.token_kubeconfig(control_plane)
    as_operator = kubectl.with_kubeconfig(sa_kubeconfig)

    with run_operator(
        control_plane,
        args,
        health_port=liveness,
        admin_port=admin,
        kubeconfig=sa_kubeconfig,
        env={"POD_ID": f"{rel.name}-scaleset-operator-local", "POD_NAMESPACE": rel.namespace},
        log_dir=tmp_path,
    ) as op:
        kubectl.apply(web_scale_set(), namespace=watched)
        kubectl.ok("wait", "--for=condition=Ready", f"{SCALESETS}/web", "-n", watched, "--timeout=90s")
        web = kubectl.json("get", SCALESETS, "web", "-n", watched)
        assert web["status"]["readyReplicas"] == 2
        assert_events_name_the_operator(kubectl, watched, f"{rel.name}-scaleset-operator-local")
        if metrics_supported:
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=5) as response:
                assert response.status == 200
        # A ScaleSet outside the watched namespaces is none of its business (and not readable).
        kubectl.apply(web_scale_set(1), namespace=elsewhere)
        time.sleep(1.0)
        assert "status" not in kubectl.json("get", SCALESETS, "web", "-n", elsewhere)
        assert_a_secret_outside_the_allowed_names_is_refused(kubectl, watched)
        assert_no_rbac_trouble(op)
        # The operator made its hash key Secret on its first start, where the chart said.
        kubectl.ok("get", "secret", f"{rel.name}-scaleset-operator-hash-key", "-n", rel.namespace)

    # The chart's default --log-format=json: every line an object; the lines written during the
    # ScaleSet's passes (creating its scale set, at least) name it.
    records = json_log(op.log_file)
    assert {"message", "severity", "timestamp", "logger"} <= set(records[0]), records[0]
    about_web = [r for r in records if (r.get("object") or {}).get("name") == "web"]
    assert about_web and about_web[0]["object"]["kind"] == "ScaleSet", records[-5:]
    assert any("CreateScaleSet" in r["message"] for r in about_web), about_web
    assert_only_the_role_is_granted(as_operator, rel, watched, elsewhere)


def assert_a_secret_outside_the_allowed_names_is_refused(kubectl: Kubectl, watched: str) -> None:
    """rbac.secretNames: [vm-admin]: a ScaleSet naming another Secret stalls, the value unread."""
    kubectl.ok("create", "secret", "generic", "other-secret", "-n", watched, "--from-literal=password=Str0ng-Passw0rd!")
    manifest = web_scale_set(1)
    manifest["metadata"]["name"] = "needs-other"
    manifest["spec"]["virtualMachineProfile"]["osProfile"]["adminPasswordSecretRef"] = {
        "name": "other-secret",
        "key": "password",
    }
    kubectl.apply(manifest, namespace=watched)
    kubectl.ok("wait", "--for=condition=Stalled", f"{SCALESETS}/needs-other", "-n", watched, "--timeout=60s")
    stalled = kubectl.json("get", SCALESETS, "needs-other", "-n", watched)["status"]["conditions"]
    reason = next(c for c in stalled if c["type"] == "Stalled")
    assert reason["reason"] == "SecretForbidden" and "other-secret" in reason["message"], reason


def assert_only_the_role_is_granted(as_operator: Kubectl, rel: Release, watched: str, elsewhere: str) -> None:
    """Requests outside the role are refused, for real and by `auth can-i`."""
    denied = as_operator.fails("get", "pods", "-n", watched)
    assert "Forbidden" in denied.stderr, denied.stderr
    assert "Forbidden" in as_operator.fails("get", SCALESETS, "-n", elsewhere).stderr
    assert "Forbidden" in as_operator.fails("get", "secrets", "-n", watched).stderr  # list: never granted
    assert "Forbidden" in as_operator.fails("get", "secret", "other-secret", "-n", watched).stderr  # not listed
    subject, hash_key = rel.subject, f"{rel.name}-scaleset-operator-hash-key"
    for (verb, resource, ns), expected in namespaced_expectations(watched, elsewhere, rel.namespace, hash_key).items():
        where = ["-n", ns] if ns else []
        got = as_operator("auth", "can-i", verb, resource, *where).stdout.strip()
        assert got == expected, f"kubectl auth can-i {verb} {resource} {where} as {subject}: {got!r}"
    got = as_operator("auth", "can-i", "patch", SCALESETS, "--subresource=status", "-n", watched).stdout.strip()
    assert got == "yes"


def test_cluster_wide_install_grants_the_same_verbs_everywhere_and_secrets_only_where_listed(
    release: Callable[..., Release], control_plane: ControlPlane, kubectl: Kubectl
) -> None:
    allowed, other = unique("apps"), unique("other")
    rel = release(allowed, other)
    rel.install({"rbac": {"secretNamespaces": [allowed]}})
    as_operator = kubectl.with_kubeconfig(rel.token_kubeconfig(control_plane))
    everywhere, home = ("--all-namespaces",), ("-n", rel.namespace)
    expectations = {
        ("list", SCALESETS, everywhere): "yes",
        ("watch", "scalesetoperations.scaleset.dev", everywhere): "yes",
        ("get", "secrets", everywhere): "no",  # not every namespace ...
        ("get", "secrets", ("-n", allowed)): "yes",  # ... only the listed one
        ("get", "secrets", ("-n", other)): "no",
        ("list", "secrets", ("-n", allowed)): "no",
        ("list", "secrets", everywhere): "no",
        ("get", f"secrets/{rel.name}-scaleset-operator-hash-key", home): "yes",
        ("get", "secrets", home): "no",  # only the hash key there
        ("list", "pods", everywhere): "no",
        ("delete", SCALESETS, everywhere): "no",
        ("patch", "clusterkopfpeerings.kopf.dev", everywhere): "no",  # peering is off
    }
    for (verb, resource, scope), expected in expectations.items():
        got = as_operator("auth", "can-i", verb, resource, *scope).stdout.strip()
        assert got == expected, f"kubectl auth can-i {verb} {resource} {scope} as {rel.subject}: {got!r}"
    assert "Forbidden" in as_operator.fails("get", "pods", "--all-namespaces").stderr
    kubectl.ok("create", "secret", "generic", "vm-admin", "-n", other, "--from-literal=password=x")
    assert "Forbidden" in as_operator.fails("get", "secret", "vm-admin", "-n", other).stderr


def test_peering_replicas_have_distinct_priorities_and_one_is_active(
    release: Callable[..., Release], control_plane: ControlPlane, kubectl: Kubectl, tmp_path: Path
) -> None:
    watched = unique("ha")
    rel = release(watched)
    rel.install(
        {
            "namespaces": [watched],
            "replicaCount": 2,
            "peering": {"enabled": True},
            "simulator": {"speed": 50},
            "metrics": {"enabled": False},
        }
    )
    # Helm installed kopf's peering CRDs (the kopf-peering subchart) and the peering object.
    kubectl.ok("wait", "--for=condition=Established", "crd/kopfpeerings.kopf.dev", "crd/clusterkopfpeerings.kopf.dev")
    peering_name = f"{rel.name}-scaleset-operator"
    kubectl.ok("get", "kopfpeerings.kopf.dev", peering_name, "-n", watched)
    # The API server accepted the HA objects: one replica at a time may be evicted, and the
    # StatefulSet's governing Service is headless.
    pdb = kubectl.json("get", "poddisruptionbudget", peering_name, "-n", rel.namespace)
    assert pdb["spec"]["maxUnavailable"] == 1
    headless = kubectl.json("get", "service", f"{peering_name}-headless", "-n", rel.namespace)
    assert headless["spec"]["clusterIP"] == "None"

    args = container_args(rel.manifests, "StatefulSet")
    assert "--priority=$(POD_INDEX)" in args
    sa_kubeconfig = rel.token_kubeconfig(control_plane)
    pod = f"{rel.name}-scaleset-operator"

    def replica(ordinal: int) -> Any:
        liveness, admin = allocate_ports(2)
        # What the kubelet does for pod <statefulset>-<ordinal>: $(POD_INDEX) from the pod-index label.
        replica_args = [a.replace("$(POD_INDEX)", str(ordinal)) for a in args]
        replica_args = with_port(with_port(replica_args, "--liveness-port", liveness), "--admin-port", admin)
        return run_operator(
            control_plane,
            replica_args,
            health_port=liveness,
            admin_port=admin,
            kubeconfig=sa_kubeconfig,
            env={"POD_ID": f"{pod}-{ordinal}", "POD_NAMESPACE": rel.namespace},
            log_dir=tmp_path,
        )

    with replica(0) as standby, replica(1) as active:
        deadline = time.monotonic() + 60
        while "Pausing operations in favour of" not in standby.log_file.read_text():
            assert time.monotonic() < deadline, f"replica 0 never paused:\n{standby.log_tail()}"
            time.sleep(0.2)
        peers = kubectl.json("get", "kopfpeerings.kopf.dev", peering_name, "-n", watched)["status"]
        assert {peers[f"{pod}-0"]["priority"], peers[f"{pod}-1"]["priority"]} == {0, 1}, peers

        kubectl.apply(web_scale_set(1), namespace=watched)
        kubectl.ok("wait", "--for=condition=Ready", f"{SCALESETS}/web", "-n", watched, "--timeout=90s")
        assert "CreateScaleSet" in active.log_file.read_text()
        assert "CreateScaleSet" not in standby.log_file.read_text(), "the standby acted"
        assert "Possibly conflicting operators" not in standby.log_file.read_text() + active.log_file.read_text()
        assert_no_rbac_trouble(standby, active)

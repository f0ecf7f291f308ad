"""The Helm chart, rendered and linted with the pinned helm (no cluster needed).

What is checked is what a platform team reviews before installing an operator: the CRDs are the
generated ones, the pod is locked down, RBAC grants exactly the listed verbs, the values schema
and cross-field checks refuse bad combinations with a clear message, and active/standby replicas
get distinct kopf priorities.
"""

from __future__ import annotations

import filecmp
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helm.conftest import CHART, REPO_ROOT, Helm, Manifest, find, kinds

WATCHED = ["team-a", "team-b"]
PEERING = {"peering": {"enabled": True}, "replicaCount": 3, "namespaces": WATCHED}

VALUE_COMBINATIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "namespaced": {"namespaces": WATCHED},
    "peering-cluster-wide": {"peering": {"enabled": True}, "replicaCount": 2},
    "peering-namespaced": PEERING,
    "shards": {"shards": 3},
    "shards-peering": {**PEERING, "shards": 2, "replicaCount": 2},
    "peering-ha-tuned": {
        **PEERING,
        "podDisruptionBudget": {"minAvailable": 2, "unhealthyPodEvictionPolicy": "IfHealthyBudget"},
        "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule"}
        ],
        "peering": {"enabled": True, "service": {"annotations": {"example.com/owner": "platform"}}},
    },
    "azure-workload-identity": {
        "backend": "azure",
        "azure": {"auth": "workloadIdentity", "workloadIdentity": {"clientId": "11111111-2222-3333-4444-555555555555"}},
    },
    "azure-secret": {"backend": "azure", "azure": {"auth": "secret", "existingSecret": "azure-creds"}},
    "cluster-wide-secrets-in-two-namespaces": {"rbac": {"secretNamespaces": WATCHED}},
    "existing-hash-key": {"hashKey": {"existingSecret": "my-hash-key"}, "rbac": {"secretNamespaces": ["*"]}},
    "argocd-and-scheduling": {
        "argocd": {"healthChecks": {"enabled": True, "namespace": "argocd"}},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ops", "effect": "NoSchedule"}],
        "affinity": {"podAntiAffinity": {}},
        "metrics": {"enabled": False},
        "rbac": {"secretNames": ["web-admin-password"]},
        "image": {"repository": "registry.example/scaleset-operator", "digest": "sha256:" + "a" * 64},
    },
}


def container(manifests: list[Manifest]) -> dict[str, Any]:
    workload = next(m for m in manifests if m["kind"] in ("Deployment", "StatefulSet"))
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    result: dict[str, Any] = containers[0]
    return result


def pod_spec(manifests: list[Manifest]) -> dict[str, Any]:
    workload = next(m for m in manifests if m["kind"] in ("Deployment", "StatefulSet"))
    result: dict[str, Any] = workload["spec"]["template"]["spec"]
    return result


def rules(role: Manifest) -> dict[tuple[str, str], set[str]]:
    """(apiGroup, resource) -> verbs, flattened."""
    flat: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                flat.setdefault((group, resource), set()).update(rule["verbs"])
    return flat


NAMESPACED_GRANTS = {
    ("scaleset.dev", "scalesets"): {"get", "list", "watch", "patch"},
    ("scaleset.dev", "scalesetoperations"): {"get", "list", "watch", "patch"},
    ("scaleset.dev", "scalesets/status"): {"patch"},
    ("scaleset.dev", "scalesetoperations/status"): {"patch"},
    ("", "events"): {"create", "patch"},
    ("apps", "controllerrevisions"): {"get", "list", "create", "delete"},
    ("batch", "jobs"): {"list", "create"},
}
SECRETS = {("", "secrets"): {"get"}}
LEASES = {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "list", "create", "update"]}
SELF_GRANTS = [
    LEASES,
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["t-scaleset-operator-hash-key"]},
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
]
CRD_DISCOVERY = {("apiextensions.k8s.io", "customresourcedefinitions"): {"list", "watch"}}


# -- lint ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("combination", sorted(VALUE_COMBINATIONS))
def test_helm_lint_strict(helm: Helm, combination: str) -> None:
    values = helm.values_file(VALUE_COMBINATIONS[combination])
    result = helm.ok("lint", "--strict", str(CHART), "-f", str(values))
    assert "0 chart(s) failed" in result.stdout, result.stdout


# -- single source: CRDs and Lua are copies, never edited in the chart ---------------------------


def _same_files(a: Path, b: Path, pattern: str) -> None:
    names_a = sorted(p.name for p in a.glob(pattern))
    names_b = sorted(p.name for p in b.glob(pattern))
    assert names_a == names_b, f"{a} and {b} hold different files: {names_a} vs {names_b}; run `make chart-sync`"
    _, mismatch, errors = filecmp.cmpfiles(a, b, names_a, shallow=False)
    assert not mismatch and not errors, f"{mismatch or errors} differ between {a} and {b}: run `make chart-sync`"


def test_chart_crds_are_the_generated_crds() -> None:
    _same_files(REPO_ROOT / "crds", CHART / "crds", "*.yaml")


def test_chart_argocd_health_checks_are_the_gitops_ones() -> None:
    _same_files(REPO_ROOT / "gitops" / "argocd", CHART / "files" / "argocd", "*.lua")


def test_include_crds_renders_the_generated_crds(helm: Helm) -> None:
    rendered = [m for m in helm.template({}, "--include-crds") if m["kind"] == "CustomResourceDefinition"]
    generated = [yaml.safe_load(p.read_text()) for p in sorted((REPO_ROOT / "crds").glob("*.yaml"))]
    assert sorted(rendered, key=lambda c: c["metadata"]["name"]) == sorted(
        generated, key=lambda c: c["metadata"]["name"]
    )


# -- the workload ----------------------------------------------------------------------------------


def test_defaults_render_a_locked_down_single_replica_deployment(helm: Helm) -> None:
    manifests = helm.template({})
    assert kinds(manifests) == [
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "Role",
        "RoleBinding",
        "Service",
        "ServiceAccount",
    ]
    deployment = find(manifests, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}, "two operators must never overlap"

    pod = pod_spec(manifests)
    assert pod["serviceAccountName"] == "t-scaleset-operator"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}

    c = container(manifests)
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert c["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert c["resources"]["requests"] and c["resources"]["limits"]
    assert c["image"] == "scaleset-operator:0.1.0"
    assert "command" not in c, "the image's ENTRYPOINT is `scaleset-operator run`: only args"
    assert c["args"] == [
        "--backend=fake",
        "--liveness-port=8080",
        "--liveness-host=0.0.0.0",  # the kubelet probes the pod IP
        "--log-format=json",
        "--hash-key-secret=ops/t-scaleset-operator-hash-key",
        "--metrics-port=9090",
        "--metrics-host=0.0.0.0",  # scraped through the Service
        "--speed=1",
        "--admin-port=8089",
        "--shard=0/1",
        "--lease-name=t-scaleset-operator",
        "--idle-read-share=0.5",
    ]
    env = {e["name"]: e for e in c["env"]}
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"health": 8080, "metrics": 9090}
    for probe in ("livenessProbe", "readinessProbe"):
        assert c[probe]["httpGet"] == {"path": "/healthz", "port": "health"}, probe
    assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]

    service = find(manifests, "Service")
    assert service["spec"]["ports"] == [{"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"}]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_cluster_wide_rbac_is_exactly_the_listed_grants(helm: Helm) -> None:
    manifests = helm.template({})
    role = find(manifests, "ClusterRole")
    assert rules(role) == {**CRD_DISCOVERY, **NAMESPACED_GRANTS}, "no Secret anywhere by default"
    binding = find(manifests, "ClusterRoleBinding")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "t-scaleset-operator", "namespace": "ops"}]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert find(manifests, "Role", namespace="ops")["rules"] == SELF_GRANTS


def test_cluster_wide_secret_access_is_granted_per_listed_namespace(helm: Helm) -> None:
    manifests = helm.template({"rbac": {"secretNamespaces": WATCHED, "secretNames": ["vm-admin"]}})
    assert ("", "secrets") not in rules(find(manifests, "ClusterRole"))
    for ns in WATCHED:
        role = find(manifests, "Role", namespace=ns)
        assert role["metadata"]["name"] == "t-scaleset-operator-secrets"
        assert role["rules"] == [
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["vm-admin"]}
        ]
        assert find(manifests, "RoleBinding", namespace=ns)["roleRef"]["name"] == "t-scaleset-operator-secrets"
    everywhere = helm.template({"rbac": {"secretNamespaces": ["*"]}})
    assert rules(find(everywhere, "ClusterRole")) == {**CRD_DISCOVERY, **NAMESPACED_GRANTS, **SECRETS}
    assert [r["metadata"]["namespace"] for r in everywhere if r["kind"] == "Role"] == ["ops"], "only the operator's own"


def test_an_existing_hash_key_secret_is_only_read(helm: Helm) -> None:
    manifests = helm.template({"hashKey": {"existingSecret": "my-hash-key"}})
    assert find(manifests, "Role", namespace="ops")["rules"] == [
        LEASES,
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["my-hash-key"]},
    ]
    assert "--hash-key-secret=ops/my-hash-key" in container(manifests)["args"]


def test_namespaced_mode_grants_only_in_the_watched_namespaces(helm: Helm) -> None:
    manifests = helm.template({"namespaces": WATCHED})
    assert rules(find(manifests, "ClusterRole")) == {**CRD_DISCOVERY, ("", "namespaces"): {"list", "watch"}}
    for ns in WATCHED:
        assert rules(find(manifests, "Role", namespace=ns)) == {**NAMESPACED_GRANTS, **SECRETS}
        binding = find(manifests, "RoleBinding", namespace=ns)
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "t-scaleset-operator",
        }
    assert [a for a in container(manifests)["args"] if a.startswith("--namespace")] == [
        "--namespace=team-a",
        "--namespace=team-b",
    ]
    without = helm.template({"namespaces": WATCHED, "rbac": {"namespaceObservation": False}})
    assert rules(find(without, "ClusterRole")) == CRD_DISCOVERY


def test_the_shard_leases_are_granted_in_the_release_namespace_only(helm: Helm) -> None:
    for values in ({}, {"namespaces": WATCHED}, {"shards": 3}):
        manifests = helm.template(values)
        role = find(manifests, "Role", name="t-scaleset-operator-self", namespace="ops")
        assert rules(role)[("coordination.k8s.io", "leases")] == {"get", "list", "create", "update"}
        assert [r for r in manifests if r["kind"] == "Role" and "leases" in str(r["rules"])] == [role]
        binding = find(manifests, "RoleBinding", name="t-scaleset-operator-self", namespace="ops")
        assert binding["roleRef"]["name"] == "t-scaleset-operator-self"
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "t-scaleset-operator", "namespace": "ops"}]


def test_shards_run_a_statefulset_per_shard(helm: Helm) -> None:
    manifests = helm.template({"shards": 3, "idleReadShare": 0.25})
    assert not [m for m in manifests if m["kind"] == "Deployment"]
    statefulsets = sorted((m for m in manifests if m["kind"] == "StatefulSet"), key=lambda m: m["metadata"]["name"])
    assert [m["metadata"]["name"] for m in statefulsets] == [f"t-scaleset-operator-shard-{i}" for i in range(3)]
    selectors = []
    for i, statefulset in enumerate(statefulsets):
        assert statefulset["spec"]["replicas"] == 1
        selector = statefulset["spec"]["selector"]["matchLabels"]
        assert selector["scaleset.dev/shard"] == str(i)
        assert statefulset["spec"]["template"]["metadata"]["labels"].items() >= selector.items()
        selectors.append(selector)
        args = statefulset["spec"]["template"]["spec"]["containers"][0]["args"]
        assert f"--shard={i}/3" in args and "--lease-name=t-scaleset-operator" in args
        assert "--idle-read-share=0.25" in args
        assert not [a for a in args if a.startswith(("--peering", "--priority"))]
    assert len({tuple(sorted(s.items())) for s in selectors}) == 3, "no StatefulSet selects another's pods"
    service = find(manifests, "Service")
    assert all(service["spec"]["selector"].items() <= s.items() for s in selectors), "metrics from every shard"


def test_shards_with_peering_have_a_peering_per_shard(helm: Helm) -> None:
    manifests = helm.template({**PEERING, "shards": 2, "replicaCount": 2})
    for i in range(2):
        statefulset = find(manifests, "StatefulSet", name=f"t-scaleset-operator-shard-{i}")
        assert statefulset["spec"]["replicas"] == 2
        args = statefulset["spec"]["template"]["spec"]["containers"][0]["args"]
        assert f"--peering=t-scaleset-operator-shard-{i}" in args and "--priority=$(POD_INDEX)" in args
        for ns in WATCHED:
            find(manifests, "KopfPeering", name=f"t-scaleset-operator-shard-{i}", namespace=ns)
    assert len([m for m in manifests if m["kind"] == "KopfPeering"]) == 2 * len(WATCHED)


def test_secret_access_can_be_narrowed_to_named_secrets(helm: Helm) -> None:
    manifests = helm.template({"namespaces": WATCHED, "rbac": {"secretNames": ["web-admin-password"]}})
    secret_rules = [r for r in find(manifests, "Role", namespace="team-a")["rules"] if "secrets" in r["resources"]]
    assert secret_rules == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["web-admin-password"]}
    ]


def test_bind_addresses_are_values(helm: Helm) -> None:
    args = container(helm.template({"livenessHost": "::", "metrics": {"host": "10.0.0.1"}}))["args"]
    assert "--liveness-host=::" in args and "--metrics-host=10.0.0.1" in args


def test_peering_runs_a_statefulset_with_distinct_priorities(helm: Helm) -> None:
    manifests = helm.template(PEERING)
    assert not [m for m in manifests if m["kind"] == "Deployment"]
    statefulset = find(manifests, "StatefulSet")
    assert statefulset["spec"]["replicas"] == 3
    assert statefulset["spec"]["podManagementPolicy"] == "Parallel"

    c = container(manifests)
    # The kubelet expands $(POD_INDEX) from the pod's apps.kubernetes.io/pod-index label: 0, 1, 2.
    assert "--peering=t-scaleset-operator" in c["args"]
    assert "--priority=$(POD_INDEX)" in c["args"]
    env = {e["name"]: e for e in c["env"]}
    assert env["POD_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['apps.kubernetes.io/pod-index']"
    assert env["POD_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert [e["name"] for e in c["env"]].count("POD_INDEX") == 1

    for ns in WATCHED:
        peering = find(manifests, "KopfPeering", namespace=ns)
        assert peering["metadata"]["name"] == "t-scaleset-operator"
        assert rules(find(manifests, "Role", namespace=ns))[("kopf.dev", "kopfpeerings")] == {
            "get",
            "list",
            "watch",
            "patch",
        }
    assert not [m for m in manifests if m["kind"] == "ClusterKopfPeering"]

    cluster_wide = helm.template({"peering": {"enabled": True, "name": "vmss-ha"}, "replicaCount": 2})
    assert find(cluster_wide, "ClusterKopfPeering")["metadata"]["name"] == "vmss-ha"
    assert rules(find(cluster_wide, "ClusterRole"))[("kopf.dev", "clusterkopfpeerings")] == {
        "get",
        "list",
        "watch",
        "patch",
    }
    assert ("kopf.dev", "kopfpeerings") not in rules(find(cluster_wide, "ClusterRole"))


def test_kopf_peering_crds_are_installed_only_with_peering(helm: Helm) -> None:
    def crd_names(values: dict[str, Any]) -> list[str]:
        rendered = helm.template(values, "--include-crds")
        return sorted(m["metadata"]["name"] for m in rendered if m["kind"] == "CustomResourceDefinition")

    ours = ["scalesetoperations.scaleset.dev", "scalesets.scaleset.dev"]
    assert crd_names({}) == ours
    assert crd_names(PEERING) == sorted([*ours, "clusterkopfpeerings.kopf.dev", "kopfpeerings.kopf.dev"])


def test_azure_workload_identity(helm: Helm) -> None:
    manifests = helm.template(VALUE_COMBINATIONS["azure-workload-identity"])
    sa = find(manifests, "ServiceAccount")
    assert sa["metadata"]["annotations"] == {
        "azure.workload.identity/client-id": "11111111-2222-3333-4444-555555555555"
    }
    workload = find(manifests, "Deployment")
    assert workload["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    c = container(manifests)
    assert "envFrom" not in c
    assert "--backend=azure" in c["args"]
    assert not [a for a in c["args"] if a.startswith(("--admin-port", "--speed"))], "simulator flags with azure"


def test_azure_secret_credentials(helm: Helm) -> None:
    manifests = helm.template(VALUE_COMBINATIONS["azure-secret"])
    assert container(manifests)["envFrom"] == [{"secretRef": {"name": "azure-creds"}}]
    assert "annotations" not in find(manifests, "ServiceAccount")["metadata"]
    labels = find(manifests, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert "azure.workload.identity/use" not in labels


def test_scheduling_image_and_argocd_values_pass_through(helm: Helm) -> None:
    values = VALUE_COMBINATIONS["argocd-and-scheduling"]
    manifests = helm.template(values)
    pod = pod_spec(manifests)
    assert pod["nodeSelector"] == values["nodeSelector"]
    assert pod["tolerations"] == values["tolerations"]
    assert pod["affinity"] == values["affinity"]
    c = container(manifests)
    assert c["image"] == "registry.example/scaleset-operator@sha256:" + "a" * 64
    assert not [a for a in c["args"] if a.startswith("--metrics-port")]
    assert not [m for m in manifests if m["kind"] == "Service"], "no metrics, no peering: no Service"

    cm = find(manifests, "ConfigMap", name="t-scaleset-operator-argocd-health", namespace="argocd")
    for kind in ("ScaleSet", "ScaleSetOperation"):
        lua = (REPO_ROOT / "gitops" / "argocd" / f"scaleset.dev_{kind}.lua").read_text()
        assert cm["data"][f"resource.customizations.health.scaleset.dev_{kind}"] == lua


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"replicaCount": 2}, "peering.enabled is false"),
        ({"backend": "azure"}, "needs azure.workloadIdentity.clientId"),
        ({"backend": "azure", "azure": {"auth": "secret"}}, "needs azure.existingSecret"),
        ({"backend": "gcp"}, "/backend"),
        ({"namespaces": ["Not_A_Namespace"]}, "/namespaces/0"),
        ({"image": {"digest": "latest"}}, "/image/digest"),
        ({"replicas": 2}, "replicas"),  # a typo of replicaCount: unknown keys are refused
        ({"shards": 0}, "/shards"),
        ({"idleReadShare": 0}, "/idleReadShare"),
        ({"podDisruptionBudget": {"maxUnavailable": "half"}}, "/podDisruptionBudget/maxUnavailable"),
        ({"logFormat": "xml"}, "/logFormat"),
        ({"topologySpreadConstraints": [{"topologyKey": "zone"}]}, "/topologySpreadConstraints/0"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(helm: Helm, values: dict[str, Any], message: str) -> None:
    assert message in helm.template_fails(values)


# -- high availability (peering with more than one replica) -----------------------------------------


def test_peering_replicas_are_highly_available_by_default(helm: Helm) -> None:
    manifests = helm.template(PEERING)
    statefulset = find(manifests, "StatefulSet")
    pods = statefulset["spec"]["selector"]["matchLabels"]

    # A node drain or cluster upgrade evicts one replica at a time, so a standby survives to take over.
    pdb = find(manifests, "PodDisruptionBudget")
    assert pdb["metadata"]["namespace"] == "ops"
    assert pdb["spec"] == {
        "maxUnavailable": 1,
        "unhealthyPodEvictionPolicy": "AlwaysAllow",
        "selector": {"matchLabels": pods},
    }

    # Replicas prefer distinct nodes, then zones: one drain or zone outage never takes both together.
    spread = pod_spec(manifests)["topologySpreadConstraints"]
    assert [(c["topologyKey"], c["whenUnsatisfiable"], c["maxSkew"]) for c in spread] == [
        ("kubernetes.io/hostname", "ScheduleAnyway", 1),
        ("topology.kubernetes.io/zone", "ScheduleAnyway", 1),
    ]
    assert all(c["labelSelector"] == {"matchLabels": pods} for c in spread)

    # The governing Service is headless and lists standbys too; metrics keep their own Service.
    headless = find(manifests, "Service", name="t-scaleset-operator-headless")
    assert statefulset["spec"]["serviceName"] == "t-scaleset-operator-headless"
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    assert headless["spec"]["selector"] == pods
    metrics = find(manifests, "Service", name="t-scaleset-operator")
    assert metrics["spec"]["ports"][0]["name"] == "metrics"
    assert "clusterIP" not in metrics["spec"]


def test_ha_settings_can_be_tuned(helm: Helm) -> None:
    manifests = helm.template(VALUE_COMBINATIONS["peering-ha-tuned"])
    assert find(manifests, "PodDisruptionBudget")["spec"]["minAvailable"] == 2
    assert "maxUnavailable" not in find(manifests, "PodDisruptionBudget")["spec"]
    assert find(manifests, "PodDisruptionBudget")["spec"]["unhealthyPodEvictionPolicy"] == "IfHealthyBudget"
    spread = pod_spec(manifests)["topologySpreadConstraints"]
    assert [(c["topologyKey"], c["whenUnsatisfiable"]) for c in spread] == [
        ("topology.kubernetes.io/zone", "DoNotSchedule")
    ]
    headless = find(manifests, "Service", name="t-scaleset-operator-headless")
    assert headless["metadata"]["annotations"] == {"example.com/owner": "platform"}

    # A constraint naming its own pods keeps them; [] and enabled: false turn each part off.
    own = {"matchLabels": {"team": "platform"}}
    custom = helm.template(
        {
            **PEERING,
            "topologySpreadConstraints": [
                {"maxSkew": 2, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
                 "labelSelector": own}
            ],
        }
    )  # fmt: skip
    assert pod_spec(custom)["topologySpreadConstraints"][0]["labelSelector"] == own
    off = helm.template({**PEERING, "topologySpreadConstraints": [], "podDisruptionBudget": {"enabled": False}})
    assert "topologySpreadConstraints" not in pod_spec(off)
    assert not [m for m in off if m["kind"] == "PodDisruptionBudget"]


def test_a_single_replica_has_no_budget_spread_or_headless_service(helm: Helm) -> None:
    # A budget for one pod would block every drain, and there is nothing to spread.
    for values in ({}, {"peering": {"enabled": True}, "replicaCount": 1}):
        manifests = helm.template(values)
        assert not [m for m in manifests if m["kind"] == "PodDisruptionBudget"], values
        assert "topologySpreadConstraints" not in pod_spec(manifests), values
    assert [m["metadata"]["name"] for m in helm.template({}) if m["kind"] == "Service"] == ["t-scaleset-operator"]


def test_grafana_dashboard_configmap_for_the_sidecar(helm: Helm) -> None:
    assert not [m for m in helm.template({}) if m["kind"] == "ConfigMap"], "off by default"
    values = {
        "grafana": {
            "dashboard": {"enabled": True, "namespace": "monitoring", "annotations": {"grafana_folder": "VMSS"}}
        }
    }
    cm = find(helm.template(values), "ConfigMap", name="t-scaleset-operator-grafana-dashboard", namespace="monitoring")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert cm["metadata"]["annotations"] == {"grafana_folder": "VMSS"}
    shipped = (CHART / "files" / "grafana" / "scaleset-operator.json").read_text()
    assert cm["data"] == {"scaleset-operator.json": shipped}

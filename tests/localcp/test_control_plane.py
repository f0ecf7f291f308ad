"""The local control plane is a real Kubernetes API server, not a look-alike.

Each test pins one behaviour the operator relies on and that only the real server has: CRD schema
and CEL validation with the server's own messages, the status subresource's generation semantics,
RBAC, TokenRequest, watches. All of it goes through the real ``kubectl`` binary, as a user would.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from scaleset_operator.localcp import ControlPlane, Kubectl
from scaleset_operator.localcp.controlplane import SERVICE_ACCOUNT_ISSUER

pytestmark = pytest.mark.controlplane

GROUP = "localcp.scaleset.dev"
WIDGETS = f"widgets.{GROUP}"

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": WIDGETS},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "required": ["replicas"],
                                "properties": {
                                    "replicas": {"type": "integer", "minimum": 0, "maximum": 100},
                                    "color": {"type": "string", "enum": ["red", "green", "blue"]},
                                },
                                "x-kubernetes-validations": [
                                    {
                                        "rule": "self.replicas <= 10 || self.color == 'red'",
                                        "message": "more than 10 replicas only for red widgets",
                                    }
                                ],
                            },
                            "status": {
                                "type": "object",
                                "properties": {"readyReplicas": {"type": "integer"}},
                            },
                        },
                    }
                },
            }
        ],
    },
}


def widget(name: str, replicas: Any, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": {"replicas": replicas, **spec},
    }


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``check`` until true; for effects that propagate through the server's informers (RBAC)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


@pytest.fixture(scope="module")
def widget_crd(kubectl: Kubectl) -> str:
    """Install the Widget CRD once and wait until the server serves it."""
    kubectl.apply(WIDGET_CRD)
    kubectl.ok("wait", "--for=condition=Established", f"crd/{WIDGETS}", "--timeout=30s")
    return WIDGETS


def test_starts_quickly_and_serves_version(control_plane: ControlPlane, kubectl: Kubectl) -> None:
    assert control_plane.startup_seconds is not None
    assert control_plane.startup_seconds < 30, control_plane.timings
    version = json.loads(kubectl.ok("version", "-o", "json").stdout)
    assert version["serverVersion"]["gitVersion"] == "v1.36.3"
    assert version["clientVersion"]["gitVersion"].startswith("v1.36.")


def test_admin_is_system_masters(kubectl: Kubectl) -> None:
    review = kubectl.json("auth", "whoami")
    assert review["status"]["userInfo"]["username"] == "scaleset-admin"
    assert "system:masters" in review["status"]["userInfo"]["groups"]


def test_apply_crd_and_create_custom_resource(kubectl: Kubectl, widget_crd: str, namespace: str) -> None:
    out = kubectl.apply(widget("w1", 3, color="green"), namespace=namespace)
    assert "widget.localcp.scaleset.dev/w1 created" in out
    got = kubectl.json("get", "widget", "w1", "-n", namespace)
    assert got["spec"] == {"replicas": 3, "color": "green"}
    assert got["metadata"]["generation"] == 1
    assert "w1" in kubectl.ok("get", widget_crd, "-n", namespace).stdout


def test_schema_invalid_resource_is_refused_with_the_servers_message(
    kubectl: Kubectl, widget_crd: str, namespace: str
) -> None:
    result = kubectl.fails("apply", "-n", namespace, "-f", "-", input=json.dumps(widget("bad", -1)))
    assert 'The Widget "bad" is invalid' in result.stderr
    assert "spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0" in (
        result.stderr
    )

    result = kubectl.fails("apply", "-n", namespace, "-f", "-", input=json.dumps(widget("purple", 1, color="purple")))
    assert 'spec.color: Unsupported value: "purple": supported values: "red", "green", "blue"' in result.stderr

    # CEL (x-kubernetes-validations) runs in the server too, with the rule's own message.
    result = kubectl.fails("apply", "-n", namespace, "-f", "-", input=json.dumps(widget("big", 20)))
    assert "more than 10 replicas only for red widgets" in result.stderr
    kubectl.apply(widget("big", 20, color="red"), namespace=namespace)

    assert kubectl("get", "widget", "bad", "-n", namespace).returncode != 0


def test_status_subresource_does_not_bump_generation(kubectl: Kubectl, widget_crd: str, namespace: str) -> None:
    kubectl.apply(widget("w", 1), namespace=namespace)
    assert kubectl.json("get", "widget", "w", "-n", namespace)["metadata"]["generation"] == 1

    kubectl.ok(
        "patch", "widget", "w", "-n", namespace, "--subresource=status", "--type=merge",
        "-p", '{"status": {"readyReplicas": 1}}',
    )  # fmt: skip
    got = kubectl.json("get", "widget", "w", "-n", namespace)
    assert got["status"] == {"readyReplicas": 1}
    assert got["metadata"]["generation"] == 1

    # Through the main resource, status is ignored: only the subresource may write it.
    kubectl.ok("patch", "widget", "w", "-n", namespace, "--type=merge", "-p", '{"status": {"readyReplicas": 7}}')
    assert kubectl.json("get", "widget", "w", "-n", namespace)["status"] == {"readyReplicas": 1}

    # A spec change does bump it: generation tracks spec, which is what observedGeneration compares to.
    kubectl.ok("patch", "widget", "w", "-n", namespace, "--type=merge", "-p", '{"spec": {"replicas": 2}}')
    assert kubectl.json("get", "widget", "w", "-n", namespace)["metadata"]["generation"] == 2


def test_rbac_denies_a_limited_identity_until_a_rolebinding_allows_it(
    kubectl: Kubectl, kubectl_as: Callable[..., Kubectl], widget_crd: str, namespace: str
) -> None:
    kubectl.apply(widget("w", 1), namespace=namespace)
    alice = kubectl_as("alice", ["widget-watchers"])
    assert alice.json("auth", "whoami")["status"]["userInfo"]["username"] == "alice"

    denied = alice.fails("get", "widgets", "-n", namespace)
    assert "Error from server (Forbidden)" in denied.stderr
    assert (
        f'widgets.{GROUP} is forbidden: User "alice" cannot list resource "widgets" '
        f'in API group "{GROUP}" in the namespace "{namespace}"'
    ) in denied.stderr

    kubectl.ok("create", "role", "widget-reader", "-n", namespace, "--verb=get,list,watch", f"--resource={WIDGETS}")
    # Bound to the *group*: proves the certificate's O field reaches RBAC as a group.
    kubectl.ok(
        "create", "rolebinding", "widget-readers", "-n", namespace,
        "--role=widget-reader", "--group=widget-watchers",
    )  # fmt: skip
    assert eventually(lambda: alice("get", "widgets", "-n", namespace).returncode == 0)
    assert "w" in alice.ok("get", "widgets", "-n", namespace, "-o", "name").stdout

    # Still only what the Role grants.
    still_denied = alice.fails("delete", "widget", "w", "-n", namespace)
    assert 'User "alice" cannot delete resource "widgets"' in still_denied.stderr
    assert alice("auth", "can-i", "list", WIDGETS, "-n", "default").stdout.strip() == "no"


def test_token_request_issues_a_working_service_account_token(
    control_plane: ControlPlane, kubectl: Kubectl, namespace: str, tmp_path: Any
) -> None:
    kubectl.ok("create", "serviceaccount", "robot", "-n", namespace)
    token = kubectl.ok("create", "token", "robot", "-n", namespace, "--duration=10m").stdout.strip()

    payload_b64 = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4)))
    assert claims["iss"] == SERVICE_ACCOUNT_ISSUER
    assert claims["sub"] == f"system:serviceaccount:{namespace}:robot"

    as_robot = kubectl.with_kubeconfig(control_plane.token_kubeconfig(token, path=tmp_path / "robot"))
    user = as_robot.json("auth", "whoami")["status"]["userInfo"]
    assert user["username"] == f"system:serviceaccount:{namespace}:robot"
    assert "Forbidden" in as_robot.fails("get", "secrets", "-n", namespace).stderr


def test_watch_sees_changes(kubectl: Kubectl, widget_crd: str, namespace: str) -> None:
    kubectl.apply(widget("watched", 1), namespace=namespace)
    jsonpath = 'jsonpath={.metadata.name}={.spec.replicas}{"\\n"}'
    with kubectl.watch("get", "widgets", "-n", namespace, "--watch", "-o", jsonpath) as watch:
        watch.wait_for(lambda line: line == "watched=1")
        kubectl.ok("patch", "widget", "watched", "-n", namespace, "--type=merge", "-p", '{"spec":{"replicas":5}}')
        watch.wait_for(lambda line: line == "watched=5")
        kubectl.apply(widget("newcomer", 2), namespace=namespace)
        watch.wait_for(lambda line: line == "newcomer=2")

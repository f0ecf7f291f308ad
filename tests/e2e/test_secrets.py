"""The admin password comes from a Secret; a missing one stalls with the reason; it never leaks, and
nothing a reader of the ScaleSet, its Events, the cloud scale set or the operator's log sees
confirms a guess of it (the keyed fingerprints of issue 16; ``tests/oracle.py``)."""

from __future__ import annotations

import json

import yaml

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.localcp import Kubectl
from tests.e2e.journeys import condition, eventually, example, get, wait_ready, with_name
from tests.fixtures.operator import OperatorProcess
from tests.oracle import confirmed, wordlist

PASSWORD = "Sup3r-Secret-Passw0rd!"


def test_missing_secret_stalls_then_recovers_and_the_password_never_leaks(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    manifest = with_name(
        example("rolling-web-tier"),
        "withpw",
        **{
            "sku.capacity": 2,
            "virtualMachineProfile.osProfile.adminPasswordSecretRef": {"name": "vm-admin", "key": "password"},
            "virtualMachineProfile.osProfile.linuxConfiguration": {"disablePasswordAuthentication": False},
        },
    )
    kubectl.ok("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(manifest))
    stalled = eventually(lambda: get(kubectl, ns, "withpw"), lambda o: condition(o, "Stalled").get("status") == "True")
    assert condition(stalled, "Stalled")["reason"] == "SecretNotFound"
    assert "vm-admin" in condition(stalled, "Stalled")["message"]
    kubectl.ok("wait", "vmss/withpw", "-n", ns, "--for=condition=Stalled", "--timeout=5s")

    kubectl.ok("create", "secret", "generic", "vm-admin", "-n", ns, f"--from-literal=password={PASSWORD}")
    ready = wait_ready(kubectl, ns, "withpw")
    assert condition(ready, "Stalled")["status"] == "False"

    events = json.dumps(kubectl.json("get", "events", "-n", ns))
    log = scaleset_operator.log_file.read_text()
    cloud = (
        scaleset_operator.sim("--json", "list").stdout + scaleset_operator.sim("--json", "instances", "withpw").stdout
    )
    assert ready["status"]["modelHash"] in cloud, "the cloud scale set carries the model hash"
    seen = "\n".join((json.dumps(ready), events, log, cloud))
    spec = ScaleSetSpec.model_validate(ready["spec"])
    assert confirmed(wordlist(PASSWORD, 200), spec, seen) == [], "a guess was confirmed from what a reader sees"
    key = kubectl.json("get", "secret", "scaleset-operator-hash-key", "-n", ns)
    assert key["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "scaleset-operator"

"""``virtualMachineProfile.networkProfile.networkInterfaceConfigurations``: Azure's NIC model.

Pydantic-level rules (the same ones the CRD enforces with list-map keys and CEL), the hash the
operator stores on the scale set, the generated schema, the docs snippet, and one check against a
real API server that two primary NICs are refused at ``kubectl apply``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from scaleset_operator.api.crd import openapi_schema
from scaleset_operator.api.scaleset import NetworkProfile, ScaleSetSpec
from scaleset_operator.cloud.desired import desired_model
from scaleset_operator.localcp import Kubectl
from tests.e2e.journeys import example, with_name
from tests.keys import TEST_KEY

REPO_ROOT = Path(__file__).resolve().parents[2]
SUB = "00000000-0000-0000-0000-000000000001"
NETWORK = f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network"
SUBNET = f"{NETWORK}/virtualNetworks/vnet/subnets/web"
POOL = f"{NETWORK}/loadBalancers/lb-web/backendAddressPools/web"
PROBE = f"/subscriptions/{SUB}/resourceGroups/rg-web/providers/Microsoft.Network/loadBalancers/lb-web/probes/http"
NICS = "virtualMachineProfile.networkProfile.networkInterfaceConfigurations"

SPEC: dict[str, Any] = {
    "location": "westeurope",
    "azure": {"subscriptionId": SUB, "resourceGroup": "rg-web"},
    "sku": {"name": "Standard_D2s_v5", "capacity": 3},
    "virtualMachineProfile": {
        "osProfile": {"computerNamePrefix": "web", "adminUsername": "azureuser"},
        "storageProfile": {
            "imageReference": {
                "publisher": "Canonical",
                "offer": "0001-com-ubuntu-server-jammy",
                "sku": "22_04-lts-gen2",
            }
        },
        "networkProfile": {"healthProbe": {"id": PROBE}},
    },
}
HASH_BEFORE_NICS = "24099f9dd2a2853e"
"""``model_hash()`` of ``SPEC`` computed before networkInterfaceConfigurations existed."""


def ip(name: str = "ip", primary: bool | None = None, **properties: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"subnet": {"id": SUBNET}, **properties}
    if primary is not None:
        props["primary"] = primary
    return {"name": name, "properties": props}


def nic(name: str = "nic", primary: bool | None = None, ips: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"ipConfigurations": ips if ips is not None else [ip()]}
    if primary is not None:
        props["primary"] = primary
    return {"name": name, "properties": props}


def network(*nics: dict[str, Any]) -> NetworkProfile:
    return NetworkProfile.model_validate({"networkInterfaceConfigurations": list(nics)})


def spec_with(nics: list[dict[str, Any]] | None) -> ScaleSetSpec:
    data = copy.deepcopy(SPEC)
    if nics is not None:
        data["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"] = nics
    return ScaleSetSpec.model_validate(data)


# -- the model ---------------------------------------------------------------------------------


def test_the_field_is_optional_and_a_nic_gets_azures_defaults() -> None:
    assert NetworkProfile().networkInterfaceConfigurations == []
    only = network(nic(ips=[ip(loadBalancerBackendAddressPools=[{"id": POOL}])])).networkInterfaceConfigurations[0]
    assert only.properties.primary is None, "a single NIC needs no primary flag"
    assert (only.properties.enableAcceleratedNetworking, only.properties.enableIPForwarding) == (False, False)
    assert only.properties.networkSecurityGroup is None
    config = only.properties.ipConfigurations[0].properties
    assert (config.subnet.id, config.privateIPAddressVersion) == (SUBNET, "IPv4")
    assert [pool.id for pool in config.loadBalancerBackendAddressPools] == [POOL]
    assert config.loadBalancerInboundNatPools == config.applicationGatewayBackendAddressPools == []
    assert config.publicIPAddressConfiguration is None


def test_several_nics_need_exactly_one_primary() -> None:
    assert network(nic("a", primary=True), nic("b")).networkInterfaceConfigurations[0].properties.primary
    assert network(nic("a", primary=False), nic("b", primary=True))
    for nics in ([nic("a", True), nic("b", True)], [nic("a"), nic("b")], [nic("a", False), nic("b", False)]):
        with pytest.raises(ValidationError, match=r"exactly one must have properties\.primary: true"):
            network(*nics)


def test_several_ip_configurations_need_exactly_one_primary() -> None:
    assert network(nic(ips=[ip("v4", primary=True), ip("v6", privateIPAddressVersion="IPv6")]))
    with pytest.raises(ValidationError, match="more than one ipConfigurations entry, exactly one"):
        network(nic(ips=[ip("a", primary=True), ip("b", primary=True)]))


@pytest.mark.parametrize(
    ("nics", "fragment"),
    [
        ([nic("same", True), nic("same")], "duplicate name ['same']"),
        ([nic(ips=[ip("same", True), ip("same")])], "duplicate name ['same']"),
        ([nic(ips=[])], "at least 1 item"),
        ([{"name": "nic", "properties": {}}], "ipConfigurations"),
        ([nic(ips=[{"name": "ip", "properties": {"primary": True}}])], "subnet"),
        ([nic(ips=[ip(privateIPAddressVersion="IPv5")])], "'IPv4' or 'IPv6'"),
        ([nic(ips=[ip(publicIPAddressConfiguration={"name": "p", "properties": {"idleTimeoutInMinutes": 60}})])], "30"),
        ([nic(f"n{i}", primary=i == 0) for i in range(9)], "at most 8 items"),
        ([nic("")], "at least 1 character"),
        ([{**nic(), "networkApiVersion": "2020-11-01"}], "Extra inputs are not permitted"),
    ],
    ids=[
        "duplicate-nic",
        "duplicate-ip",
        "no-ip-configurations",
        "ip-configurations-missing",
        "no-subnet",
        "bad-ip-version",
        "idle-timeout",
        "too-many-nics",
        "empty-name",
        "unknown-field",
    ],
)
def test_invalid_nic_configurations_are_refused(nics: list[dict[str, Any]], fragment: str) -> None:
    with pytest.raises(ValidationError) as error:
        network(*nics)
    assert fragment in str(error.value)


# -- the hash the operator stores on the scale set ---------------------------------------------


def test_a_scale_set_without_nics_keeps_the_hash_it_had_before_the_field_existed() -> None:
    """Otherwise upgrading the operator would re-PUT every scale set and, on the simulator, roll
    every instance: the empty list is left out of the model's dump."""
    model = desired_model(spec_with(None), fingerprints=TEST_KEY)
    assert "networkInterfaceConfigurations" not in model.profile.model_dump(mode="json")["networkProfile"]
    assert model.model_hash() == HASH_BEFORE_NICS
    assert desired_model(spec_with([]), fingerprints=TEST_KEY).model_hash() == HASH_BEFORE_NICS


def _edit(path: str, value: Any) -> list[dict[str, Any]]:
    nics = [nic("a", primary=True, ips=[ip(loadBalancerBackendAddressPools=[{"id": POOL}])]), nic("b")]
    node: Any = nics
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[leaf] = value
    return nics


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("0.properties.enableAcceleratedNetworking", True),
        ("1.properties.enableIPForwarding", True),
        ("1.properties.networkSecurityGroup", {"id": f"{NETWORK}/networkSecurityGroups/nsg"}),
        ("0.properties.ipConfigurations.0.properties.subnet", {"id": f"{NETWORK}/virtualNetworks/vnet/subnets/other"}),
        ("0.properties.ipConfigurations.0.properties.loadBalancerBackendAddressPools", []),
        ("0.properties.ipConfigurations.0.properties.publicIPAddressConfiguration", {"name": "pip"}),
        ("1.name", "renamed"),
    ],
)
def test_every_nic_setting_is_part_of_the_model_hash(path: str, value: Any) -> None:
    before = desired_model(spec_with(_edit("0.name", "a")), fingerprints=TEST_KEY).model_hash()
    assert before != HASH_BEFORE_NICS
    assert desired_model(spec_with(_edit(path, value)), fingerprints=TEST_KEY).model_hash() != before


# -- the CRD schema and the docs ---------------------------------------------------------------


def test_the_schema_keys_both_lists_by_name_and_carries_the_primary_rules() -> None:
    nics = openapi_schema(NetworkProfile)["properties"]["networkInterfaceConfigurations"]
    ips = nics["items"]["properties"]["properties"]["properties"]["ipConfigurations"]
    for schema in (nics, ips):
        assert schema["x-kubernetes-list-type"] == "map"
        assert schema["x-kubernetes-list-map-keys"] == ["name"]
        assert "exists_one" in schema["x-kubernetes-validations"][0]["rule"]
    assert (nics["maxItems"], ips["minItems"], ips["maxItems"]) == (8, 1, 256)
    assert "Azure requires at least one" in nics["description"]
    ip_props = ips["items"]["properties"]["properties"]
    assert ip_props["required"] == ["subnet"]
    assert ip_props["properties"]["privateIPAddressVersion"]["default"] == "IPv4"


def test_the_docs_snippet_is_a_valid_network_profile() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", (REPO_ROOT / "docs" / "azure.md").read_text(), flags=re.DOTALL)
    snippets = [yaml.safe_load(b) for b in blocks if "networkInterfaceConfigurations" in b]
    assert len(snippets) == 1, "expected one networkInterfaceConfigurations snippet in docs/azure.md"
    profile = NetworkProfile.model_validate(snippets[0]["spec"]["virtualMachineProfile"]["networkProfile"])
    config = profile.networkInterfaceConfigurations[0].properties.ipConfigurations[0].properties
    assert config.subnet.id.endswith("/subnets/web")
    assert config.loadBalancerBackendAddressPools


# -- against a real API server -----------------------------------------------------------------


def _manifest(name: str, nics: list[dict[str, Any]]) -> str:
    return yaml.safe_dump(with_name(example("rolling-web-tier"), name, **{NICS: nics}))


@pytest.mark.controlplane
def test_kubectl_apply_refuses_two_primary_nics_and_stores_a_valid_pair_with_defaults(
    kubectl: Kubectl, scaleset_crds: list[str], namespace: str
) -> None:
    del scaleset_crds
    refused = kubectl.fails(
        "apply", "-n", namespace, "-f", "-", input=_manifest("two-primaries", [nic("a", True), nic("b", True)])
    )
    assert "spec.virtualMachineProfile.networkProfile.networkInterfaceConfigurations" in refused.stderr
    assert "exactly one must have properties.primary: true" in refused.stderr, refused.stderr
    assert kubectl("get", "vmss", "two-primaries", "-n", namespace).returncode != 0, "nothing may be stored"

    kubectl.ok("apply", "-n", namespace, "-f", "-", input=_manifest("one-primary", [nic("a", True), nic("b")]))
    stored = kubectl.json("get", "vmss", "one-primary", "-n", namespace)
    first, second = stored["spec"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"]
    assert (first["properties"]["primary"], "primary" in second["properties"]) == (True, False)
    assert first["properties"]["enableAcceleratedNetworking"] is False
    assert first["properties"]["ipConfigurations"][0]["properties"]["privateIPAddressVersion"] == "IPv4"
    # What the API server stored is what the operator will read.
    read = ScaleSetSpec.model_validate(stored["spec"]).virtualMachineProfile.networkProfile
    assert read.networkInterfaceConfigurations == network(nic("a", True), nic("b")).networkInterfaceConfigurations

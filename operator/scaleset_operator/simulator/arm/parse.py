"""ARM request bodies -> the engine's vocabulary (``DesiredModel``, instance ID lists).

The scale set body is read field by field under Azure's names, and only the fields the operator's
model has (the simulator models those, network interface configurations included, so a NIC change
makes instances stale as on Azure); everything else a client may send (diagnostics, a NIC's DNS
settings ...) is accepted and ignored, like properties ARM passes through. The admin password is
reduced to its fingerprint at once: the simulator never stores it.
"""

from __future__ import annotations

import json
from typing import Any, cast

from aiohttp import web
from pydantic import ValidationError

from scaleset_operator.api.scaleset import ScaleInPolicy, VirtualMachineProfile
from scaleset_operator.cloud.desired import DesiredModel, password_fingerprint
from scaleset_operator.simulator.arm.errors import ArmError

JsonObject = dict[str, Any]


def _obj(value: Any, where: str) -> JsonObject:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ArmError(400, "InvalidRequestContent", f"{where} must be a JSON object")
    return cast(JsonObject, value)


def _pick(source: JsonObject, *names: str) -> JsonObject:
    return {name: source[name] for name in names if source.get(name) is not None}


def _os_profile(raw: JsonObject) -> tuple[JsonObject, str | None]:
    picked = _pick(raw, "computerNamePrefix", "adminUsername", "customData")
    linux = _obj(raw.get("linuxConfiguration"), "osProfile.linuxConfiguration")
    if linux:
        ssh = _obj(linux.get("ssh"), "linuxConfiguration.ssh")
        picked["linuxConfiguration"] = _pick(linux, "disablePasswordAuthentication")
        if ssh:
            keys = [_pick(_obj(k, "ssh.publicKeys[]"), "path", "keyData") for k in ssh.get("publicKeys") or []]
            picked["linuxConfiguration"]["ssh"] = {"publicKeys": keys}
    windows = _obj(raw.get("windowsConfiguration"), "osProfile.windowsConfiguration")
    if windows:
        picked["windowsConfiguration"] = _pick(windows, "enableAutomaticUpdates", "timeZone")
    password = raw.get("adminPassword")
    return picked, password if isinstance(password, str) else None


def _disk(raw: JsonObject, *names: str) -> JsonObject:
    picked = _pick(raw, *names)
    managed = _obj(raw.get("managedDisk"), "managedDisk")
    if managed.get("storageAccountType"):
        picked["managedDisk"] = {"storageAccountType": managed["storageAccountType"]}
    return picked


def _storage_profile(raw: JsonObject) -> JsonObject:
    image = _obj(raw.get("imageReference"), "storageProfile.imageReference")
    picked: JsonObject = {"imageReference": _pick(image, "id", "publisher", "offer", "sku", "version")}
    os_disk = _obj(raw.get("osDisk"), "storageProfile.osDisk")
    if os_disk:
        picked["osDisk"] = _disk(os_disk, "osType", "createOption", "caching", "diskSizeGB")
    picked["dataDisks"] = [
        _disk(_obj(d, "storageProfile.dataDisks[]"), "lun", "diskSizeGB", "createOption", "caching")
        for d in raw.get("dataDisks") or []
    ]
    return picked


def _extensions(raw: JsonObject) -> list[JsonObject]:
    result = []
    for item in raw.get("extensions") or []:
        ext = _obj(item, "extensionProfile.extensions[]")
        props = _obj(ext.get("properties"), "extensions[].properties")
        result.append(
            {
                "name": ext.get("name"),
                "properties": _pick(
                    props, "publisher", "type", "typeHandlerVersion", "autoUpgradeMinorVersion", "settings"
                ),
            }
        )
    return result


def _refs(raw: Any, where: str) -> list[JsonObject]:
    return [_pick(_obj(ref, where), "id") for ref in raw or []]


def _ip_configuration(raw: JsonObject) -> JsonObject:
    props = _obj(raw.get("properties"), "ipConfigurations[].properties")
    picked = _pick(props, "primary", "privateIPAddressVersion")
    subnet = _obj(props.get("subnet"), "ipConfigurations[].properties.subnet")
    if subnet:
        picked["subnet"] = _pick(subnet, "id")
    for pools in (
        "loadBalancerBackendAddressPools",
        "loadBalancerInboundNatPools",
        "applicationGatewayBackendAddressPools",
    ):
        picked[pools] = _refs(props.get(pools), f"ipConfigurations[].properties.{pools}[]")
    public = _obj(
        props.get("publicIPAddressConfiguration"), "ipConfigurations[].properties.publicIPAddressConfiguration"
    )
    if public:
        public_props = _obj(public.get("properties"), "publicIPAddressConfiguration.properties")
        picked["publicIPAddressConfiguration"] = {
            **_pick(public, "name"),
            "properties": _pick(public_props, "idleTimeoutInMinutes"),
        }
    return {**_pick(raw, "name"), "properties": picked}


def _network_profile(raw: JsonObject) -> JsonObject:
    picked: JsonObject = {}
    probe = _obj(raw.get("healthProbe"), "networkProfile.healthProbe")
    if probe.get("id"):
        picked["healthProbe"] = _pick(probe, "id")
    nics = []
    for item in raw.get("networkInterfaceConfigurations") or []:
        nic = _obj(item, "networkProfile.networkInterfaceConfigurations[]")
        props = _obj(nic.get("properties"), "networkInterfaceConfigurations[].properties")
        nic_picked = _pick(props, "primary", "enableAcceleratedNetworking", "enableIPForwarding")
        nsg = _obj(
            props.get("networkSecurityGroup"), "networkInterfaceConfigurations[].properties.networkSecurityGroup"
        )
        if nsg:
            nic_picked["networkSecurityGroup"] = _pick(nsg, "id")
        nic_picked["ipConfigurations"] = [
            _ip_configuration(_obj(ip, "networkInterfaceConfigurations[].properties.ipConfigurations[]"))
            for ip in props.get("ipConfigurations") or []
        ]
        nics.append({**_pick(nic, "name"), "properties": nic_picked})
    if nics:
        picked["networkInterfaceConfigurations"] = nics
    return picked


def desired_model(body: JsonObject) -> DesiredModel:
    """The model a scale set PUT describes. Raises ``ArmError`` 400 like ARM's validation does."""
    location = body.get("location")
    if not isinstance(location, str) or not location:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    sku = _obj(body.get("sku"), "sku")
    if not sku.get("name"):
        raise ArmError(400, "InvalidParameter", "Required parameter 'sku.name' is missing (null).")
    props = _obj(body.get("properties"), "properties")
    profile_raw = _obj(props.get("virtualMachineProfile"), "properties.virtualMachineProfile")
    if not profile_raw:
        raise ArmError(400, "InvalidParameter", "Required parameter 'virtualMachineProfile' is missing (null).")
    os_profile, password = _os_profile(_obj(profile_raw.get("osProfile"), "virtualMachineProfile.osProfile"))
    profile: JsonObject = {
        "osProfile": os_profile,
        "storageProfile": _storage_profile(
            _obj(profile_raw.get("storageProfile"), "virtualMachineProfile.storageProfile")
        ),
        "networkProfile": _network_profile(
            _obj(profile_raw.get("networkProfile"), "virtualMachineProfile.networkProfile")
        ),
        "extensionProfile": {"extensions": _extensions(_obj(profile_raw.get("extensionProfile"), "extensionProfile"))},
    }
    scale_in = _pick(_obj(props.get("scaleInPolicy"), "properties.scaleInPolicy"), "rules", "forceDeletion")
    try:
        return DesiredModel(
            location=location.replace(" ", "").lower(),
            sku_name=str(sku["name"]),
            sku_tier=str(sku.get("tier") or "Standard"),
            zones=tuple(str(z) for z in body.get("zones") or ()),
            platform_fault_domain_count=int(props.get("platformFaultDomainCount") or 5),
            overprovision=bool(props.get("overprovision", True)),
            scale_in_policy=ScaleInPolicy.model_validate(scale_in),
            profile=VirtualMachineProfile.model_validate(profile),
            password_fingerprint=password_fingerprint(password),
        )
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ArmError(400, "InvalidParameter", f"The scale set model is invalid: {details}") from None
    except (TypeError, ValueError) as exc:
        raise ArmError(400, "InvalidParameter", f"The scale set model is invalid: {exc}") from None


def capacity(body: JsonObject) -> int:
    value = _obj(body.get("sku"), "sku").get("capacity", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ArmError(400, "InvalidParameter", "sku.capacity must be a non-negative integer.")
    return value


def instance_ids(body: JsonObject | None, *, required: bool) -> list[str] | None:
    """``instanceIds`` of an action body; None means every instance (where Azure allows omitting it)."""
    ids = (body or {}).get("instanceIds")
    if ids is None:
        if required:
            raise ArmError(400, "InvalidParameter", "Required parameter 'instanceIds' is missing (null).")
        return None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ArmError(400, "InvalidParameter", "instanceIds must be a list of instance ID strings.")
    return list(ids)


async def json_body(request: web.Request, *, required: bool) -> dict[str, Any] | None:
    raw = await request.read()
    if not raw.strip():
        if required:
            raise ArmError(
                400, "InvalidRequestContent", "The request content was invalid and could not be deserialized."
            )
        return None
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ArmError(400, "InvalidRequestContent", f"The request content is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ArmError(400, "InvalidRequestContent", "The request content must be a JSON object.")
    return cast(dict[str, Any], body)

"""ARM request bodies -> the engine's vocabulary (``DesiredModel``, instance ID lists).

The scale set body is read by ``cloud/wire.from_arm``: every property the operator's model has is
kept (so a maximal scale set round-trips), anything else a client may send is accepted and ignored,
like properties ARM passes through. Secrets (the admin password, ``userData``, extensions'
``protectedSettings``) are reduced to fingerprints at once: the simulator never stores them (and so
never returns ``userData``, as Azure does not without ``$expand=userData``).
"""

from __future__ import annotations

from typing import Any, cast

from pydantic import ValidationError

from scaleset_operator.api.scale_set_properties import ScaleSetProperties
from scaleset_operator.api.scaleset import ScaleInPolicy, VirtualMachineProfile
from scaleset_operator.cloud.desired import OPERATOR_TAGS, DesiredModel, password_fingerprint, secret_fingerprints
from scaleset_operator.cloud.secrets import ADMIN_PASSWORD
from scaleset_operator.cloud.wire import ShapeError, from_arm
from scaleset_operator.simulator.arm.errors import ArmError

JsonObject = dict[str, Any]


def _obj(value: Any, where: str) -> JsonObject:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ArmError(400, "InvalidRequestContent", f"{where} must be a JSON object")
    return cast(JsonObject, value)


def _properties(spec: JsonObject) -> ScaleSetProperties:
    fields = {name: spec[name] for name in ScaleSetProperties.model_fields if name in spec}
    fields["tags"] = {k: v for k, v in (fields.get("tags") or {}).items() if k not in OPERATOR_TAGS}
    return ScaleSetProperties.model_validate(fields)


def desired_model(body: JsonObject) -> DesiredModel:
    """The model a scale set PUT describes. Raises ``ArmError`` 400 like ARM's validation does."""
    location = body.get("location")
    if not isinstance(location, str) or not location:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    sku = _obj(body.get("sku"), "sku")
    if not sku.get("name"):
        raise ArmError(400, "InvalidParameter", "Required parameter 'sku.name' is missing (null).")
    props = _obj(body.get("properties"), "properties")
    if not _obj(props.get("virtualMachineProfile"), "properties.virtualMachineProfile"):
        raise ArmError(400, "InvalidParameter", "Required parameter 'virtualMachineProfile' is missing (null).")
    try:
        spec, secrets = from_arm(body)
    except ShapeError as exc:
        raise ArmError(400, "InvalidRequestContent", str(exc)) from None
    try:
        password = secrets.pop(ADMIN_PASSWORD, None)
        return DesiredModel(
            location=location.replace(" ", "").lower(),
            sku_name=str(sku["name"]),
            sku_tier=str(sku.get("tier") or "Standard"),
            zones=tuple(str(z) for z in body.get("zones") or ()),
            platform_fault_domain_count=int(props.get("platformFaultDomainCount") or 5),
            overprovision=bool(props.get("overprovision", True)),
            scale_in_policy=ScaleInPolicy.model_validate(spec.get("scaleInPolicy") or {}),
            profile=VirtualMachineProfile.model_validate(spec["virtualMachineProfile"]),
            password_fingerprint=password_fingerprint(password if isinstance(password, str) else None),
            properties=_properties(spec),
            secret_fingerprints=secret_fingerprints(secrets),
        )
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ArmError(400, "InvalidParameter", f"The scale set model is invalid: {details}") from None
    except (TypeError, ValueError, AttributeError) as exc:
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

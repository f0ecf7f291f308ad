"""What ARM refuses in a scale set write before anything changes, beyond the typed model's own checks.

- ``orchestrationMode`` must be Uniform or Flexible (Uniform when absent, as on Azure).
- Flexible orchestration: no overprovisioning, no single placement group, no
  ``rollbackFailedInstancesOnPolicyBreach`` (Uniform only), and Rolling mode needs the Application
  Health extension (a load balancer probe is not a health signal for Flexible VMs).
- ``upgradePolicy.mode`` Rolling needs a health signal: a load balancer probe
  (``networkProfile.healthProbe``, Uniform only) or the Application Health extension; Azure answers
  ``BadRequest`` with the message below otherwise.
- The upgrade policy itself: mode and rolling policy ranges (``rolling.PlatformPolicy``).
"""

from __future__ import annotations

from typing import Any

from scaleset_operator.simulator.arm.errors import ArmError
from scaleset_operator.simulator.rolling import PlatformPolicy

JsonObject = dict[str, Any]
HEALTH_EXTENSIONS = frozenset({"applicationhealthlinux", "applicationhealthwindows"})
NO_HEALTH_SIGNAL = (
    "Rolling Upgrade mode is not supported for this Virtual Machine Scale Set because a health probe or health "
    "extension was not provided."
)


def _invalid(message: str) -> ArmError:
    return ArmError(400, "InvalidParameter", message)


def _properties(body: JsonObject) -> JsonObject:
    props = body.get("properties")
    return props if isinstance(props, dict) else {}


def orchestration_mode(body: JsonObject) -> str:
    mode = _properties(body).get("orchestrationMode") or "Uniform"
    for known in ("Uniform", "Flexible"):
        if isinstance(mode, str) and mode.lower() == known.lower():
            return known
    raise _invalid(f"The value '{mode}' of parameter 'properties.orchestrationMode' is invalid: Uniform or Flexible.")


def upgrade_policy(body: JsonObject) -> PlatformPolicy:
    try:
        return PlatformPolicy.from_json(_properties(body).get("upgradePolicy"))
    except ValueError as exc:
        raise _invalid(str(exc)) from None


def _has_health_extension(props: JsonObject) -> bool:
    profile = props.get("virtualMachineProfile") or {}
    extensions = (profile.get("extensionProfile") or {}).get("extensions") or []
    return any(
        str(((ext.get("properties") or {}).get("type")) or "").lower() in HEALTH_EXTENSIONS
        for ext in extensions
        if isinstance(ext, dict)
    )


def _has_health_probe(props: JsonObject) -> bool:
    profile = props.get("virtualMachineProfile") or {}
    return bool(((profile.get("networkProfile") or {}).get("healthProbe") or {}).get("id"))


def check(body: JsonObject) -> tuple[str, PlatformPolicy]:
    """(orchestration mode, upgrade policy) of a valid write; ``ArmError`` 400 otherwise."""
    mode = orchestration_mode(body)
    policy = upgrade_policy(body)
    props = _properties(body)
    flexible = mode == "Flexible"
    if flexible:
        _check_flexible(props)
    if policy.mode == "Rolling":
        signal = _has_health_extension(props) or (not flexible and _has_health_probe(props))
        if not signal:
            raise ArmError(400, "BadRequest", NO_HEALTH_SIGNAL)
    return mode, policy


def _check_flexible(props: JsonObject) -> None:
    unsupported = {
        "overprovision": props.get("overprovision") is True,
        "singlePlacementGroup": props.get("singlePlacementGroup") is True,
        "upgradePolicy.rollingUpgradePolicy.rollbackFailedInstancesOnPolicyBreach": (
            ((props.get("upgradePolicy") or {}).get("rollingUpgradePolicy") or {}).get(
                "rollbackFailedInstancesOnPolicyBreach"
            )
            is True
        ),
    }
    for name, set_true in unsupported.items():
        if set_true:
            raise _invalid(
                f"Parameter 'properties.{name}' is not supported for Virtual Machine Scale Sets with Flexible "
                "orchestration mode: leave it unset or false."
            )

"""Azure's refusals of a scale set PUT, checked before Azure sees the request.

Every rule Azure applies to a ``virtualMachineScaleSets`` PUT that the model can violate, with the
code and message Azure answers (docs/validation.md lists each with its source). The same functions
serve both sides of the wire:

- the operator checks the model it is about to send (with the Secret values, which no CEL rule can
  see) and, where the rule needs facts from outside the model (regions, VM sizes and their zones,
  image sizes: ``CloudFacts``), the facts the backend reported; a refused model is never written,
  and the ScaleSet is ``Stalled`` with Azure's code as the reason;
- the simulator refuses the same PUT with the same code and message (``simulator/validation.py``),
  so the fake backend fails the way Azure would.

Most rules are also CEL rules in the CRD (``api/``), so ``kubectl apply`` refuses them first; this
module is the check of record for objects stored before a rule existed, for values in Secrets, and
for outside facts. Messages name the field and never quote a secret value.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from scaleset_operator.api.usernames import RESERVED_ADMIN_USERNAMES
from scaleset_operator.cloud.desired import DesiredModel
from scaleset_operator.cloud.secrets import USER_DATA

INVALID_PARAMETER = "InvalidParameter"
OPERATION_NOT_ALLOWED = "OperationNotAllowed"
SKU_NOT_AVAILABLE = "SkuNotAvailable"
LOCATION_NOT_AVAILABLE = "LocationNotAvailableForResourceType"
LINKED_INVALID_PROPERTY_ID = "LinkedInvalidPropertyId"
INVALID_RESOURCE_NAME = "InvalidResourceName"

DISALLOWED_PASSWORDS = frozenset(
    {"abc@123", "P@$$w0rd", "P@ssw0rd", "P@ssword123", "Pa$$word", "pass@word1", "Password!", "Password1",
     "Password22", "iloveyou!"}
)  # fmt: skip
"""VirtualMachineScaleSetOSProfile.adminPassword, "Disallowed values" (Compute REST spec)."""
LINUX_USERNAME_FORBIDDEN = re.compile(r'[\\/"\[\]:|<>+=;,?*@#()!A-Z]|^[$-]')
WINDOWS_USERNAME_FORBIDDEN = re.compile(r'[\\/"\[\]:|<>+=;,?*@]')
HEALTH_PROBE_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/loadBalancers/[^/]+/probes/[^/]+$",
    re.IGNORECASE,
)
BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
RULE_IDS = (
    "scale-set-name",
    "sku-tier",
    "admin-username-reserved",
    "admin-username-linux",
    "admin-username-windows",
    "windows-password-required",
    "admin-password-complexity",
    "windows-computer-name-prefix",
    "custom-data-base64",
    "user-data-base64",
    "fault-domain-count",
    "zone-balance",
    "single-placement-group-size",
    "health-probe-id",
    "allow-extension-operations",
    "true-or-omitted",
    "ultra-ssd-capability",
    "disk-performance-tier",
    "location",
    "vm-size",
    "vm-size-zones",
    "os-disk-size",
)
"""Every rule, by the name docs/validation.md gives it (with its source and where it is enforced)."""
MAX_SINGLE_PLACEMENT_GROUP = 100
MAX_NAME = 64
WINDOWS_PREFIX = 9


@dataclass(frozen=True)
class Refusal:
    """How Azure refuses the PUT: its error code, the field (Azure's path) and its message."""

    rule: str
    code: str
    target: str
    message: str
    status: int = 400

    def describe(self) -> str:
        return f"{self.target}: {self.message}"


@dataclass(frozen=True)
class CloudFacts:
    """What the cloud says about the outside facts a model depends on (the backend reports them)."""

    location: str
    location_known: bool
    sku_zones: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """VM size (lower case) -> the zones it is offered in (empty: offered, without zones)."""
    image_os_disk_gb: int | None = None
    """The OS disk size of the image version the model resolves to (None: not known)."""
    known_locations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    """One PUT: the model (with its secret values), the capacity and the scale set's Azure name."""

    model: DesiredModel
    capacity: int
    name: str

    @property
    def windows(self) -> bool:
        return self.model.profile.storageProfile.osDisk.osType == "Windows"


Rule = Callable[[Request], Refusal | None]
FactRule = Callable[[Request, CloudFacts], Refusal | None]


def _refusal(rule: str, target: str, message: str, code: str = INVALID_PARAMETER, status: int = 400) -> Refusal:
    assert rule in RULE_IDS, rule
    return Refusal(rule, code, target, message, status)


# -- the name -----------------------------------------------------------------------------------


def scale_set_name(request: Request) -> Refusal | None:
    name = request.name
    if len(name) > MAX_NAME or name.endswith((".", "-")) or name.startswith("_"):
        message = (
            f"Resource name '{name[:80]}' is invalid: a scale set name has 1-64 characters and cannot start with "
            "'_' or end with '.' or '-' (spec.azure.name, or metadata.name when it is unset)"
        )
        return _refusal("scale-set-name", "name", message, INVALID_RESOURCE_NAME)
    return None


def sku_tier(request: Request) -> Refusal | None:
    tier = request.model.sku_tier
    if tier not in ("Standard", "Basic"):
        message = f"The value '{tier}' of parameter 'sku.tier' is not allowed. Allowed values are: Standard, Basic."
        return _refusal("sku-tier", "sku.tier", message)
    return None


# -- the admin account --------------------------------------------------------------------------

_USERNAME = "virtualMachineProfile.osProfile.adminUsername"
_PASSWORD = "virtualMachineProfile.osProfile.adminPassword"


def admin_username_reserved(request: Request) -> Refusal | None:
    username = request.model.profile.osProfile.adminUsername
    if username is not None and username.lower() in RESERVED_ADMIN_USERNAMES:
        message = (
            f"This user name '{username}' meets the general requirements, but is specifically disallowed for "
            "this image. Please try a different value."
        )
        return _refusal("admin-username-reserved", _USERNAME, message)
    return None


def admin_username_characters(request: Request) -> Refusal | None:
    username = request.model.profile.osProfile.adminUsername
    if username is None:
        return None
    if request.windows:
        if WINDOWS_USERNAME_FORBIDDEN.search(username) or username.endswith(".") or len(username) > 20:
            message = (
                'a Windows admin user name has at most 20 characters, none of \\/"[]:|<>+=;,?*@, and does not '
                'end with "."'
            )
            return _refusal("admin-username-windows", _USERNAME, message)
    elif LINUX_USERNAME_FORBIDDEN.search(username):
        message = (
            "a Linux admin user name cannot contain upper case characters A-Z, special characters "
            '\\/"[]:|<>+=;,?*@#()! or start with $ or -'
        )
        return _refusal("admin-username-linux", _USERNAME, message)
    return None


def windows_needs_a_password(request: Request) -> Refusal | None:
    os_profile = request.model.profile.osProfile
    if request.windows and os_profile.adminPasswordSecretRef is None and request.model.admin_password is None:
        return _refusal("windows-password-required", _PASSWORD, "Required parameter 'adminPassword' is missing (null).")
    return None


def admin_password(request: Request) -> Refusal | None:
    """Length, 3 of 4 character classes, Azure's list of refused values. The value is never quoted."""
    password = request.model.admin_password
    if password is None:
        return None
    low, high = (8, 123) if request.windows else (6, 72)
    classes = sum(bool(re.search(pattern, password)) for pattern in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[\W_]"))
    control = any(ord(c) < 32 for c in password)
    if not low <= len(password) <= high or classes < 3 or control or password in DISALLOWED_PASSWORDS:
        message = (
            f"The supplied password must be between {low}-{high} characters long and must satisfy at least 3 of "
            "password complexity requirements from the following: 1) Contains an uppercase character 2) Contains a "
            "lowercase character 3) Contains a numeric digit 4) Contains a special character 5) Control characters "
            "are not allowed (and it must not be one of Azure's refused values)"
        )
        return _refusal("admin-password-complexity", _PASSWORD, message)
    return None


def computer_name_prefix(request: Request) -> Refusal | None:
    prefix = request.model.profile.osProfile.computerNamePrefix
    if request.windows and (len(prefix) > WINDOWS_PREFIX or prefix.isdigit()):
        message = (
            "Windows computer name prefix cannot be more than 9 characters long, be entirely numeric, or contain "
            "the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : . ' \" , < > / ?."
        )
        return _refusal("windows-computer-name-prefix", "virtualMachineProfile.osProfile.computerNamePrefix", message)
    return None


# -- data -------------------------------------------------------------------------------------------


def _is_base64(value: str) -> bool:
    if len(value) % 4 or not BASE64.match(value):
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def custom_data(request: Request) -> Refusal | None:
    data = request.model.profile.osProfile.customData
    if data is not None and not _is_base64(data):
        message = "Custom data in OSProfile must be in Base64 encoding and with a maximum length of 87380 characters."
        return _refusal("custom-data-base64", "virtualMachineProfile.osProfile.customData", message)
    return None


def user_data(request: Request) -> Refusal | None:
    inline = request.model.profile.userData
    value = inline if inline is not None else request.model.secret_values.get(USER_DATA)
    if isinstance(value, str) and not _is_base64(value):
        source = "" if inline is not None else " (the value of userDataSecretRef)"
        message = f"UserData must be in Base64 encoding and with a maximum length of 87380 characters{source}."
        return _refusal("user-data-base64", "virtualMachineProfile.userData", message)
    return None


# -- placement ------------------------------------------------------------------------------------


def fault_domains(request: Request) -> Refusal | None:
    model = request.model
    count, zonal = model.platform_fault_domain_count, bool(model.zones)
    flexible = model.flexible
    allowed = ((1,) if zonal else (1, 2, 3)) if flexible else ((1, 5) if zonal else (1, 2, 3, 4, 5))
    if count not in allowed:
        kind = f"{'a zonal' if zonal else 'a regional'} {model.orchestration_mode} scale set"
        message = (
            f"The value {count} of parameter 'platformFaultDomainCount' is not allowed for {kind}. Allowed values "
            f"are: {', '.join(str(a) for a in allowed)}."
        )
        return _refusal("fault-domain-count", "platformFaultDomainCount", message)
    return None


def zone_balance(request: Request) -> Refusal | None:
    model = request.model
    if model.properties.zoneBalance is not None and len(model.zones) < 2:
        message = (
            "zoneBalance property can only be set if the zones property of the scale set contains more than one zone."
        )
        return _refusal("zone-balance", "zoneBalance", message)
    return None


def single_placement_group(request: Request) -> Refusal | None:
    if request.model.properties.singlePlacementGroup and request.capacity > MAX_SINGLE_PLACEMENT_GROUP:
        message = (
            f"Unable to create or update VirtualMachineScaleSet '{request.name}' as it exceeds the total limit of "
            f"'{MAX_SINGLE_PLACEMENT_GROUP}' Virtual Machine instances (singlePlacementGroup is true)."
        )
        return _refusal("single-placement-group-size", "sku.capacity", message, OPERATION_NOT_ALLOWED, 409)
    return None


# -- references and switches ------------------------------------------------------------------------


def health_probe(request: Request) -> Refusal | None:
    probe = request.model.profile.networkProfile.healthProbe
    if probe is not None and not HEALTH_PROBE_ID.match(probe.id):
        message = (
            f"Property id '{probe.id[:300]}' at path 'properties.virtualMachineProfile.networkProfile.healthProbe.id' "
            "is invalid: expected a load balancer probe, /subscriptions/{subscriptionId}/resourceGroups/{group}"
            "/providers/Microsoft.Network/loadBalancers/{loadBalancer}/probes/{probe}."
        )
        return _refusal("health-probe-id", "virtualMachineProfile.networkProfile.healthProbe.id", message,
                        LINKED_INVALID_PROPERTY_ID)  # fmt: skip
    return None


def extension_operations(request: Request) -> Refusal | None:
    profile = request.model.profile
    if profile.osProfile.allowExtensionOperations is False and profile.extensionProfile.extensions:
        message = "allowExtensionOperations may only be set to false when no extensions are present on the scale set."
        return _refusal(
            "allow-extension-operations", "virtualMachineProfile.osProfile.allowExtensionOperations", message
        )
    return None


def true_or_omitted(request: Request) -> Refusal | None:
    model = request.model
    signal = model.profile.osProfile.requireGuestProvisionSignal
    for target, value in (
        ("virtualMachineProfile.osProfile.requireGuestProvisionSignal", signal),
        ("constrainedMaximumCapacity", model.properties.constrainedMaximumCapacity),
    ):
        if value is False:
            return _refusal(
                "true-or-omitted", target, f"{target.rsplit('.', 1)[-1]} must either be set to true or omitted."
            )
    return None


def ultra_ssd(request: Request) -> Refusal | None:
    model = request.model
    capabilities = model.properties.additionalCapabilities
    enabled = capabilities is not None and capabilities.ultraSSDEnabled
    for disk in model.profile.storageProfile.dataDisks:
        kind = disk.managedDisk.storageAccountType
        if kind == "UltraSSD_LRS" and not enabled:
            message = (
                "Managed disks with storage account type UltraSSD_LRS can be added to a scale set only if "
                "additionalCapabilities.ultraSSDEnabled is true."
            )
            return _refusal(
                "ultra-ssd-capability", f"virtualMachineProfile.storageProfile.dataDisks[lun={disk.lun}]", message
            )
        tuned = disk.diskIOPSReadWrite is not None or disk.diskMBpsReadWrite is not None
        if tuned and kind not in ("UltraSSD_LRS", "PremiumV2_LRS"):
            message = "diskIOPSReadWrite and diskMBpsReadWrite apply only to UltraSSD_LRS and PremiumV2_LRS disks."
            return _refusal(
                "disk-performance-tier", f"virtualMachineProfile.storageProfile.dataDisks[lun={disk.lun}]", message
            )
    return None


# -- outside facts ----------------------------------------------------------------------------------


def location(request: Request, facts: CloudFacts) -> Refusal | None:
    if facts.location_known:
        return None
    known = (
        f" List of available regions for the resource type is '{','.join(facts.known_locations)}'."
        if facts.known_locations
        else ""
    )
    message = (
        f"The provided location '{request.model.location}' is not available for resource type "
        f"'Microsoft.Compute/virtualMachineScaleSets'.{known}"
    )
    return _refusal("location", "location", message, LOCATION_NOT_AVAILABLE)


def vm_size(request: Request, facts: CloudFacts) -> Refusal | None:
    if not facts.location_known:
        return None
    size = request.model.sku_name
    offered = facts.sku_zones.get(size.lower())
    if offered is None:
        sizes = ",".join(sorted(facts.sku_zones))[:2000]
        message = (
            f"The requested VM size {size} is not available in the current region. The sizes available in the "
            f"current region are: {sizes}."
        )
        return _refusal("vm-size", "sku.name", message)
    missing = sorted(set(request.model.zones) - offered)
    if missing:
        message = (
            f"The requested size {size} is currently not available in location '{facts.location}' zones "
            f"'{','.join(request.model.zones)}'. Please try another size or deploy to a different location or zones. "
            "See https://aka.ms/azureskunotavailable for details."
        )
        return _refusal("vm-size-zones", "zones", message, SKU_NOT_AVAILABLE, 409)
    return None


def os_disk_size(request: Request, facts: CloudFacts) -> Refusal | None:
    wanted, image = request.model.profile.storageProfile.osDisk.diskSizeGB, facts.image_os_disk_gb
    if wanted is not None and image is not None and wanted < image:
        message = (
            f"The specified disk size {wanted} GB is smaller than the size of the corresponding disk in the VM image: "
            f"{image} GB. This is not allowed. Please choose equal or greater size or do not specify an explicit size."
        )
        return _refusal("os-disk-size", "osDisk.diskSizeGB", message, OPERATION_NOT_ALLOWED, 409)
    return None


MODEL_RULES: tuple[Rule, ...] = (
    scale_set_name,
    sku_tier,
    admin_username_reserved,
    admin_username_characters,
    windows_needs_a_password,
    admin_password,
    computer_name_prefix,
    custom_data,
    user_data,
    fault_domains,
    zone_balance,
    single_placement_group,
    health_probe,
    extension_operations,
    true_or_omitted,
    ultra_ssd,
)
FACT_RULES: tuple[FactRule, ...] = (location, vm_size, os_disk_size)


def refusals(model: DesiredModel, capacity: int, name: str, facts: CloudFacts | None = None) -> list[Refusal]:
    """Every way Azure would refuse this PUT (facts-based rules only when ``facts`` are known)."""
    request = Request(model, capacity, name)
    found = [r for r in (rule(request) for rule in MODEL_RULES) if r is not None]
    if facts is not None:
        found += [r for r in (rule(request, facts) for rule in FACT_RULES) if r is not None]
    return found

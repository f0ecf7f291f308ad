"""``DesiredModel`` -> the SDK's ``VirtualMachineScaleSet``, field by field under Azure's own names.

Why the cloud scale set is always written with ``upgradePolicy.mode = Manual``: the operator is the
orchestrator. It picks the batches, checks health between them, pauses inside maintenance windows,
rolls back OS images and records every step in the ScaleSet status. If Azure ran its own Rolling or
Automatic upgrade on the same scale set, two controllers would move the same instances, and Azure's
moves would be invisible to the operator's intent record (and its rollout history). In Manual mode
a model change only reaches new instances until the operator upgrades existing ones with
``manualUpgrade``/``reimage`` batches, one call per batch. The ScaleSet's own ``upgradePolicy`` is
the policy the *operator* enforces.

The operator remembers what it wrote in two tags, compared on every pass so an unchanged model is
never written again: ``scaleset.dev/model-hash`` (everything that makes an instance's
``latestModelApplied`` false) and ``scaleset.dev/settings-hash`` (scale-set-level settings). Other
tags found on the scale set are kept, so a PUT does not wipe tags set by people or policies.

The admin password travels only in the request body (``osProfile.adminPassword``); it is never
logged, and neither is the body (the SDK model's ``repr`` would show it).
"""

from __future__ import annotations

from collections.abc import Mapping

from azure.mgmt.compute import models as sdk

from scaleset_operator.api import scaleset as api
from scaleset_operator.cloud.desired import MODEL_HASH_TAG, DesiredModel

SETTINGS_HASH_TAG = "scaleset.dev/settings-hash"
OPERATOR_TAGS = (MODEL_HASH_TAG, SETTINGS_HASH_TAG)
MANUAL = "Manual"


def scale_set(
    model: DesiredModel, capacity: int, existing_tags: Mapping[str, str] | None = None
) -> sdk.VirtualMachineScaleSet:
    """The full scale set for a PUT (create or replace): model, capacity, Manual upgrade mode."""
    tags = {k: v for k, v in (existing_tags or {}).items() if k not in OPERATOR_TAGS}
    tags[MODEL_HASH_TAG] = model.model_hash()
    tags[SETTINGS_HASH_TAG] = model.settings_hash()
    return sdk.VirtualMachineScaleSet(
        location=model.location,
        tags=tags,
        sku=sdk.Sku(name=model.sku_name, tier=model.sku_tier, capacity=capacity),
        zones=list(model.zones) or None,
        properties=sdk.VirtualMachineScaleSetProperties(
            upgrade_policy=sdk.UpgradePolicy(mode=MANUAL),
            orchestration_mode=model.orchestration_mode if model.flexible else None,
            overprovision=None if model.flexible else model.overprovision,  # Flexible has no overprovisioning
            platform_fault_domain_count=model.platform_fault_domain_count,
            scale_in_policy=sdk.ScaleInPolicy(
                rules=list(model.scale_in_policy.rules),
                force_deletion=model.scale_in_policy.forceDeletion,
            ),
            virtual_machine_profile=vm_profile(model),
        ),
    )


def vm_profile(model: DesiredModel) -> sdk.VirtualMachineScaleSetVMProfile:
    profile = model.profile
    return sdk.VirtualMachineScaleSetVMProfile(
        os_profile=os_profile(profile.osProfile, model.admin_password),
        storage_profile=storage_profile(profile.storageProfile),
        network_profile=network_profile(profile.networkProfile),
        extension_profile=(
            sdk.VirtualMachineScaleSetExtensionProfile(
                extensions=[extension(e) for e in profile.extensionProfile.extensions]
            )
            if profile.extensionProfile.extensions
            else None
        ),
    )


def network_profile(network: api.NetworkProfile) -> sdk.VirtualMachineScaleSetNetworkProfile | None:
    """The health probe and the NIC configurations; None (not sent) when the model has neither."""
    if network.healthProbe is None and not network.networkInterfaceConfigurations:
        return None
    return sdk.VirtualMachineScaleSetNetworkProfile(
        health_probe=sdk.ApiEntityReference(id=network.healthProbe.id) if network.healthProbe is not None else None,
        network_interface_configurations=(
            [network_configuration(nic) for nic in network.networkInterfaceConfigurations]
            if network.networkInterfaceConfigurations
            else None
        ),
    )


def _refs(refs: list[api.SubResource]) -> list[sdk.SubResource]:
    return [sdk.SubResource(id=ref.id) for ref in refs]


def network_configuration(nic: api.NetworkInterfaceConfiguration) -> sdk.VirtualMachineScaleSetNetworkConfiguration:
    props = nic.properties
    return sdk.VirtualMachineScaleSetNetworkConfiguration(
        name=nic.name,
        properties=sdk.VirtualMachineScaleSetNetworkConfigurationProperties(
            primary=props.primary,
            enable_accelerated_networking=props.enableAcceleratedNetworking,
            enable_ip_forwarding=props.enableIPForwarding,
            network_security_group=(
                sdk.SubResource(id=props.networkSecurityGroup.id) if props.networkSecurityGroup is not None else None
            ),
            ip_configurations=[ip_configuration(ip) for ip in props.ipConfigurations],
        ),
    )


def ip_configuration(ip: api.IPConfiguration) -> sdk.VirtualMachineScaleSetIPConfiguration:
    props = ip.properties
    public = props.publicIPAddressConfiguration
    return sdk.VirtualMachineScaleSetIPConfiguration(
        name=ip.name,
        properties=sdk.VirtualMachineScaleSetIPConfigurationProperties(
            primary=props.primary,
            subnet=sdk.ApiEntityReference(id=props.subnet.id),
            private_ip_address_version=props.privateIPAddressVersion,
            load_balancer_backend_address_pools=_refs(props.loadBalancerBackendAddressPools),
            load_balancer_inbound_nat_pools=_refs(props.loadBalancerInboundNatPools),
            application_gateway_backend_address_pools=_refs(props.applicationGatewayBackendAddressPools),
            public_ip_address_configuration=(
                sdk.VirtualMachineScaleSetPublicIPAddressConfiguration(
                    name=public.name,
                    properties=sdk.VirtualMachineScaleSetPublicIPAddressConfigurationProperties(
                        idle_timeout_in_minutes=public.properties.idleTimeoutInMinutes
                    ),
                )
                if public is not None
                else None
            ),
        ),
    )


def os_profile(profile: api.OSProfile, admin_password: str | None) -> sdk.VirtualMachineScaleSetOSProfile:
    linux = profile.linuxConfiguration
    windows = profile.windowsConfiguration
    return sdk.VirtualMachineScaleSetOSProfile(
        computer_name_prefix=profile.computerNamePrefix,
        admin_username=profile.adminUsername,
        admin_password=admin_password,
        custom_data=profile.customData,
        linux_configuration=(
            sdk.LinuxConfiguration(
                disable_password_authentication=linux.disablePasswordAuthentication,
                ssh=(
                    sdk.SshConfiguration(
                        public_keys=[sdk.SshPublicKey(path=k.path, key_data=k.keyData) for k in linux.ssh.publicKeys]
                    )
                    if linux.ssh is not None
                    else None
                ),
            )
            if linux is not None
            else None
        ),
        windows_configuration=(
            sdk.WindowsConfiguration(
                enable_automatic_updates=windows.enableAutomaticUpdates, time_zone=windows.timeZone
            )
            if windows is not None
            else None
        ),
    )


def image_reference(image: api.ImageReference) -> sdk.ImageReference:
    if image.id is not None:
        return sdk.ImageReference(id=image.id)
    return sdk.ImageReference(publisher=image.publisher, offer=image.offer, sku=image.sku, version=image.version)


def storage_profile(storage: api.StorageProfile) -> sdk.VirtualMachineScaleSetStorageProfile:
    os_disk = storage.osDisk
    return sdk.VirtualMachineScaleSetStorageProfile(
        image_reference=image_reference(storage.imageReference),
        os_disk=sdk.VirtualMachineScaleSetOSDisk(
            create_option=os_disk.createOption,
            caching=os_disk.caching,
            disk_size_gb=os_disk.diskSizeGB,
            os_type=os_disk.osType,
            managed_disk=sdk.VirtualMachineScaleSetManagedDiskParameters(
                storage_account_type=os_disk.managedDisk.storageAccountType
            ),
        ),
        data_disks=[
            sdk.VirtualMachineScaleSetDataDisk(
                lun=disk.lun,
                create_option=disk.createOption,
                caching=disk.caching,
                disk_size_gb=disk.diskSizeGB,
                managed_disk=sdk.VirtualMachineScaleSetManagedDiskParameters(
                    storage_account_type=disk.managedDisk.storageAccountType
                ),
            )
            for disk in storage.dataDisks
        ],
    )


def extension(ext: api.Extension) -> sdk.VirtualMachineScaleSetExtension:
    props = ext.properties
    return sdk.VirtualMachineScaleSetExtension(
        name=ext.name,
        properties=sdk.VirtualMachineScaleSetExtensionProperties(
            publisher=props.publisher,
            type=props.type,
            type_handler_version=props.typeHandlerVersion,
            auto_upgrade_minor_version=props.autoUpgradeMinorVersion,
            settings=props.settings,
        ),
    )

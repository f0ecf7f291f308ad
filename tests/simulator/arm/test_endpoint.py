"""The ARM endpoint on the wire: what the Azure SDK relies on, checked with a plain HTTPS client."""

from __future__ import annotations

import aiohttp
import pytest

from scaleset_operator.simulator.arm import ArmEndpoint
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud

from .conftest import COMPUTE, GALLERY_API, SUB, VMSS, Http, scale_set_body


async def created(http: Http, clock: ManualClock, capacity: int = 2) -> None:
    reply = await http.call("PUT", VMSS, scale_set_body(capacity))
    assert reply.status == 201, reply.body
    clock.advance(60)


async def test_a_put_is_a_long_running_operation(http: Http, clock: ManualClock) -> None:
    created_reply = await http.call("PUT", VMSS, scale_set_body())
    operation_url = created_reply.headers["Azure-AsyncOperation"]
    in_progress = await http.call("GET", operation_url, absolute=True)
    clock.advance(60)
    done = await http.call("GET", operation_url, absolute=True)
    unchanged = await http.call("PUT", VMSS, scale_set_body())

    assert created_reply.status == 201 and created_reply.headers["Retry-After"] == "3"
    assert operation_url.startswith("https://") and f"api-version={COMPUTE}" in operation_url
    body = created_reply.body
    assert body["properties"]["provisioningState"] == "Creating"
    assert body["properties"]["upgradePolicy"] == {"mode": "Manual"}
    assert body["tags"] == {"scaleset.dev/model-hash": "m1", "team": "web"}
    assert "adminPassword" not in str(body), "secrets are never returned"
    assert (in_progress.status, in_progress.body["status"]) == (200, "InProgress")
    assert in_progress.headers["Retry-After"] == "3"
    assert done.body["status"] == "Succeeded" and "endTime" in done.body
    assert unchanged.status == 200 and unchanged.headers["ETag"] == created_reply.headers["ETag"]


async def test_etags_change_with_the_model_and_if_match_is_checked(http: Http, clock: ManualClock) -> None:
    await created(http, clock)
    first = await http.call("GET", VMSS)
    changed = await http.call("PUT", VMSS, scale_set_body(disk=64))
    stale = await http.call("PUT", VMSS, scale_set_body(disk=128), headers={"If-Match": first.headers["ETag"]})
    assert first.body["etag"] == first.headers["ETag"]
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert (stale.status, stale.error[0]) == (412, "PreconditionFailed")


async def test_an_action_answers_202_with_location_and_async_operation(
    http: Http, clock: ManualClock, cloud: SimulatedCloud
) -> None:
    await created(http, clock)
    accepted = await http.call("POST", VMSS + "/reimage", {"instanceIds": ["0"], "exactVersion": "2024.01.10"})
    monitor = accepted.headers["Location"]
    pending = await http.call("GET", monitor, absolute=True)
    clock.advance(60)
    finished = await http.call("GET", monitor, absolute=True)

    assert accepted.status == 202 and accepted.body is None
    assert "monitor=true" in monitor and "Azure-AsyncOperation" in accepted.headers
    assert (pending.status, finished.status) == (202, 200)
    vms = (await http.call("GET", VMSS + "/virtualMachines?$expand=instanceView")).body["value"]
    versions = [vm["properties"]["storageProfile"]["imageReference"]["exactVersion"] for vm in vms]
    assert versions == ["2024.01.10", "2024.02.15"], "exactVersion pins the reimage"


async def test_an_operation_that_fails_mid_batch_says_why(
    http: Http, clock: ManualClock, cloud: SimulatedCloud
) -> None:
    """As on Azure: the operation's error and the VM's instance view carry the instance's own code."""
    await created(http, clock)
    cloud.faults.fail_in_flight("upgrade", instance_ids=["1"], code="VMExtensionProvisioningError", message="boom")
    accepted = await http.call("POST", VMSS + "/manualupgrade", {"instanceIds": ["0", "1"]})
    clock.advance(60)
    status = await http.call("GET", accepted.headers["Azure-AsyncOperation"], absolute=True)
    result = await http.call("GET", accepted.headers["Location"], absolute=True)
    vms = await http.call("GET", VMSS + "/virtualMachines?$expand=instanceView")

    assert status.body["status"] == "Failed"
    assert status.body["error"]["code"] == "VMExtensionProvisioningError"
    assert "instance(s) 1 of scale set web: boom" in status.body["error"]["message"]
    assert (result.status, result.error[0]) == (500, "VMExtensionProvisioningError")
    failed = next(vm for vm in vms.body["value"] if vm["instanceId"] == "1")["properties"]["instanceView"]
    assert failed["statuses"][0] == {
        "code": "ProvisioningState/failed/VMExtensionProvisioningError",
        "level": "Error",
        "displayStatus": "Provisioning failed",
        "message": "boom",
    }


async def test_the_vm_list_pages_and_expands_the_instance_view(http: Http, clock: ManualClock) -> None:
    await created(http, clock, capacity=3)
    first = await http.call("GET", VMSS + "/virtualMachines?$expand=instanceView")
    second = await http.call("GET", first.body["nextLink"], absolute=True)
    plain = await http.call("GET", VMSS + "/virtualMachines")

    assert [vm["instanceId"] for vm in first.body["value"] + second.body["value"]] == ["0", "1", "2"]
    assert "nextLink" not in second.body
    view = first.body["value"][0]["properties"]["instanceView"]
    assert [s["code"] for s in view["statuses"]] == ["ProvisioningState/succeeded", "PowerState/running"]
    assert view["vmHealth"]["status"]["code"] == "HealthState/healthy"
    assert first.body["value"][0]["properties"]["storageProfile"]["dataDisks"][0]["diskSizeGB"] == 32
    assert "instanceView" not in plain.body["value"][0]["properties"]


async def test_throttling_is_a_429_with_retry_after_and_the_spent_policy(
    http: Http, clock: ManualClock, cloud: SimulatedCloud
) -> None:
    await created(http, clock)
    cloud.throttle_for(60, retry_after=12.5)
    reply = await http.call("GET", VMSS + "/virtualMachines")
    assert reply.status == 429 and reply.error[0] == "TooManyRequests"
    assert reply.headers["Retry-After"] == "13"
    assert reply.headers["x-ms-ratelimit-remaining-resource"] == "Microsoft.Compute/HighCostGetVMScaleSet3Min;0"


async def test_engine_errors_keep_their_status_and_code(http: Http, clock: ManualClock, cloud: SimulatedCloud) -> None:
    await created(http, clock)
    cloud.faults.fail_next("get", status=503, code="ServiceUnavailable", message="try later")
    unavailable = await http.call("GET", VMSS)
    unknown_instance = await http.call("POST", VMSS + "/restart", {"instanceIds": ["99"]})
    missing = await http.call("GET", VMSS.replace("/web", "/nope"))
    assert (unavailable.status, unavailable.body) == (
        503,
        {"error": {"code": "ServiceUnavailable", "message": "try later"}},
    )
    assert (unknown_instance.status, unknown_instance.error[0]) == (404, "NotFound")
    assert (missing.status, missing.error[0]) == (404, "ResourceNotFound")


async def test_delete_is_an_operation_and_a_missing_scale_set_is_204(http: Http, clock: ManualClock) -> None:
    await created(http, clock)
    accepted = await http.call("DELETE", VMSS)
    clock.advance(60)
    status = await http.call("GET", accepted.headers["Azure-AsyncOperation"], absolute=True)
    again = await http.call("DELETE", VMSS)
    gone = await http.call("GET", VMSS)
    assert accepted.status == 202 and status.body["status"] == "Succeeded"
    assert again.status == 204 and gone.status == 404


@pytest.mark.parametrize(
    ("api_version", "code"),
    [
        (None, "MissingApiVersionParameter"),
        ("yesterday", "InvalidApiVersionParameter"),
        ("2024-07-01", "NoRegisteredProviderFound"),
        ("2026-05-01", "NoRegisteredProviderFound"),
        (GALLERY_API, "NoRegisteredProviderFound"),
    ],
)
async def test_the_api_version_is_required_and_checked(http: Http, api_version: str | None, code: str) -> None:
    reply = await http.call("GET", VMSS, api_version=api_version)
    assert (reply.status, reply.error[0]) == (400, code)
    if code == "NoRegisteredProviderFound":
        assert "'virtualMachineScaleSets'" in reply.error[1] and "2024-11-01, 2025-04-01" in reply.error[1]


@pytest.mark.parametrize("api_version", ["2024-11-01", "2025-04-01", "2025-11-01", "2026-03-01", COMPUTE])
async def test_every_compute_api_version_since_2024_11_01_is_served(
    http: Http, clock: ManualClock, api_version: str
) -> None:
    await created(http, clock)
    reply = await http.call("GET", VMSS, api_version=api_version)
    assert reply.status == 200 and reply.body["name"] == "web"


async def test_bearer_tokens(http: Http, endpoint: ArmEndpoint) -> None:
    http.token = None
    anonymous = await http.call("GET", VMSS)
    http.token = "whatever"
    endpoint.state.auth.token = "expected"
    wrong = await http.call("GET", VMSS)
    endpoint.state.auth.token = None
    endpoint.state.auth.expired = True
    expired = await http.call("GET", VMSS)

    assert (anonymous.status, anonymous.error[0]) == (401, "AuthenticationFailed")
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")
    assert (wrong.status, wrong.error[0]) == (401, "InvalidAuthenticationToken")
    assert (expired.status, expired.error[0]) == (401, "ExpiredAuthenticationToken")
    assert "is earlier than current UTC time" in expired.error[1]


async def test_paths_are_case_insensitive_and_unknown_ones_are_404(http: Http, clock: ManualClock) -> None:
    await created(http, clock)
    shouted = await http.call("GET", VMSS.upper().replace("MICROSOFT.COMPUTE", "microsoft.compute"))
    unknown = await http.call("GET", f"/subscriptions/{SUB}/providers/Microsoft.Compute/disks")
    wrong_method = await http.call("POST", VMSS, {})
    assert shouted.status == 200 and shouted.body["name"] == "web"
    assert unknown.status == 404 and wrong_method.status == 405


async def test_an_invalid_model_is_a_400_with_the_reason(http: Http) -> None:
    no_location = scale_set_body()
    del no_location["location"]
    bad_disk = scale_set_body(disk=0)
    assert (await http.call("PUT", VMSS, no_location)).error[0] == "LocationRequired"
    reply = await http.call("PUT", VMSS, bad_disk)
    assert reply.status == 400 and "diskSizeGB" in reply.error[1]


async def test_image_versions(http: Http, cloud: SimulatedCloud) -> None:
    gallery = f"/subscriptions/{SUB}/resourceGroups/rg-img/providers/Microsoft.Compute/galleries/gal/images/web"
    cloud.catalog.publish_gallery(gallery, "1.0.0", ["westeurope"], exclude_from_latest=True)
    platform = await http.call(
        "GET",
        f"/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westeurope/publishers/Canonical"
        "/artifacttypes/vmimage/offers/0001-com-ubuntu-server-jammy/skus/22_04-lts-gen2/versions",
    )
    versions = await http.call("GET", gallery + "/versions", api_version=GALLERY_API)
    missing = await http.call("GET", gallery.replace("/web", "/nope") + "/versions", api_version=GALLERY_API)

    assert [v["name"] for v in platform.body] == ["2024.01.10", "2024.02.15"]
    profile = versions.body["value"][0]["properties"]["publishingProfile"]
    assert profile == {"targetRegions": [{"name": "westeurope"}], "excludeFromLatest": True}
    assert (missing.status, missing.error[0]) == (404, "ParentResourceNotFound")


async def test_the_admin_port_serves_the_engine_and_arm_controls(
    endpoint: ArmEndpoint, http: Http, clock: ManualClock
) -> None:
    await created(http, clock)
    assert endpoint.admin_url is not None
    async with aiohttp.ClientSession() as admin:
        async with admin.get(endpoint.admin_url + "/scalesets") as response:
            scale_sets = await response.json()
        async with admin.post(endpoint.admin_url + "/arm/auth", json={"expired": True}) as response:
            assert response.status == 200
        async with admin.get(endpoint.admin_url + "/arm/requests") as response:
            requests = await response.json()
    assert [s["name"] for s in scale_sets["scaleSets"]] == ["web"]
    assert endpoint.state.auth.expired
    assert requests["byOperation"]["vmss.put"] == 1


async def test_tls_is_verified_against_the_generated_ca(endpoint: ArmEndpoint) -> None:
    async with aiohttp.ClientSession() as untrusting:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await untrusting.get(endpoint.url + VMSS)


async def test_power_actions_on_the_wire_and_azures_refusals(http: Http, clock: ManualClock) -> None:
    """A batch powerOff with skipShutdown, a scale set VM's protection update (PUT), and Azure's
    OperationNotAllowed for powerOff of a deallocated VM and eviction of a Regular one."""
    await created(http, clock)
    dealloc = await http.call("POST", VMSS + "/deallocate", {"instanceIds": ["0"]})
    clock.advance(60)
    off = await http.call("POST", VMSS + "/poweroff?skipShutdown=true", {"instanceIds": ["0"]})
    evict = await http.call("POST", VMSS + "/virtualMachines/1/simulateEviction")
    hibernate = await http.call("POST", VMSS + "/deallocate?hibernate=true", {"instanceIds": ["1"]})
    protect = await http.call(
        "PUT", VMSS + "/virtualMachines/1", {"properties": {"protectionPolicy": {"protectFromScaleIn": True}}}
    )
    invalid = await http.call(
        "PUT",
        VMSS + "/virtualMachines/1",
        {"properties": {"protectionPolicy": {"protectFromScaleIn": False, "protectFromScaleSetActions": True}}},
    )
    vm = await http.call("GET", VMSS + "/virtualMachines/1")

    assert dealloc.status == 202
    assert (off.status, off.error[0]) == (409, "OperationNotAllowed") and "since the VM is deallocated" in off.error[1]
    assert (evict.status, evict.error[0]) == (400, "OperationNotAllowed") and "only Spot" in evict.error[1]
    assert (hibernate.status, hibernate.error[0]) == (400, "InvalidParameter")
    assert protect.status == 200 and "Azure-AsyncOperation" in protect.headers
    assert (invalid.status, invalid.error[0]) == (400, "InvalidParameter")
    assert vm.body["properties"]["protectionPolicy"] == {
        "protectFromScaleIn": True,
        "protectFromScaleSetActions": False,
    }


async def test_the_request_log_names_each_client(endpoint: ArmEndpoint, http: Http, clock: ManualClock) -> None:
    """Sharded operators append ``shard/I/N`` to their User-Agent: the log tells their calls apart."""
    await http.call("PUT", VMSS, scale_set_body(), headers={"User-Agent": "azsdk-python shard/1/3"})
    await http.call("GET", VMSS, headers={"User-Agent": "azsdk-python shard/2/3"})
    assert endpoint.admin_url is not None
    async with aiohttp.ClientSession() as admin, admin.get(endpoint.admin_url + "/arm/requests?log=1") as response:
        log = (await response.json())["log"]
    mine = [(r["operation"], r["scaleSet"], r["client"]) for r in log[-2:]]
    assert mine == [("vmss.put", "web", "azsdk-python shard/1/3"), ("vmss.get", "web", "azsdk-python shard/2/3")]
    assert log[-1]["seq"] == log[-2]["seq"] + 1

"""The simulator engine behaves like an Azure scale set, in simulated time."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scaleset_operator.cloud.errors import Conflict, InvalidRequest, NotFound, Throttled, TransientError, Unauthorized
from scaleset_operator.cloud.observed import ObservedInstance, ObservedScaleSet
from scaleset_operator.cloud.secrets import ADMIN_PASSWORD, LEGACY_FINGERPRINTS, HashKey
from scaleset_operator.simulator.catalog import default_catalog
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud

from .conftest import GALLERY, JAMMY, KEY, ModelFactory, build_model

SETTLE = 1000.0


def observe(cloud: SimulatedCloud) -> ObservedScaleSet:
    observed = cloud.snapshot(KEY)
    assert observed is not None
    return observed


def instances(cloud: SimulatedCloud) -> dict[str, ObservedInstance]:
    return {i.instance_id: i for i in observe(cloud).instances}


def ids(cloud: SimulatedCloud) -> list[str]:
    return [i.instance_id for i in observe(cloud).instances]


def settled(cloud: SimulatedCloud, clock: ManualClock, seconds: float = SETTLE) -> ObservedScaleSet:
    clock.advance(seconds)
    return observe(cloud)


# -- creation, time and health -----------------------------------------------------------------


def test_create_goes_creating_then_succeeded_then_healthy(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(), 3)

    observed = observe(cloud)
    assert observed.provisioning_state == "Creating"
    assert [(i.provisioning_state, i.health_state) for i in observed.instances] == [("Creating", "Initializing")] * 3

    clock.advance(30)
    observed = observe(cloud)
    assert observed.provisioning_state == "Succeeded"
    assert {(i.provisioning_state, i.power_state, i.health_state) for i in observed.instances} == {
        ("Succeeded", "running", "Initializing")
    }

    clock.advance(5)
    assert {i.health_state for i in observe(cloud).instances} == {"Healthy"}


def test_new_instances_get_the_model(cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory) -> None:
    model = make_model(data_disks={0: 32, 1: 128})
    cloud.apply(KEY, model, 2)
    observed = settled(cloud, clock)

    assert observed.model_hash == model.model_hash()
    assert observed.settings_hash == model.settings_hash()
    assert observed.capacity == 2
    for instance in observed.instances:
        assert instance.latest_model_applied
        assert instance.image.version == "2024.02.15"  # latest of the seeded catalog
        assert instance.image.publisher == "Canonical"
        assert instance.data_disks == {0: 32, 1: 128}
        assert instance.os_profile_fingerprint == model.os_profile_fingerprint()


def test_a_big_clock_jump_processes_every_transition_in_order(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(), 1)
    cloud.set_durations(create=30, health_delay=5)

    clock.advance(10_000)
    instance = instances(cloud)["0"]

    assert (instance.provisioning_state, instance.health_state) == ("Succeeded", "Healthy")


def test_durations_apply_to_operations_started_afterwards(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.set_durations(create=100, health_delay=0)
    cloud.apply(KEY, make_model(), 1)

    clock.advance(99)
    assert instances(cloud)["0"].provisioning_state == "Creating"
    clock.advance(1)
    assert instances(cloud)["0"].health_state == "Healthy"


@pytest.mark.parametrize(
    ("number", "name"),
    [(0, "web000000"), (9, "web000009"), (10, "web00000a"), (35, "web00000z"), (36, "web000010"), (1295, "web0000zz")],
)
def test_computer_names_are_prefix_plus_base36_id(number: int, name: str) -> None:
    from scaleset_operator.simulator.naming import computer_name

    assert computer_name("web", number) == name


def test_instances_are_named_after_their_ids(cloud: SimulatedCloud, make_model: ModelFactory) -> None:
    cloud.apply(KEY, make_model(prefix="api"), 37)

    names = {i.instance_id: i.name for i in observe(cloud).instances}

    assert names["0"] == "api000000"
    assert names["36"] == "api000010"


# -- model updates and upgrades (DESIGN.md section 4) ------------------------------------------


def test_model_change_leaves_instances_alone_until_upgraded(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(), 2)
    settled(cloud, clock)

    cloud.apply(KEY, make_model(sku="Standard_D4s_v5"), 2)
    observed = observe(cloud)
    assert [i.latest_model_applied for i in observed.instances] == [False, False]
    assert [i.provisioning_state for i in observed.instances] == ["Succeeded", "Succeeded"]

    cloud.upgrade_instances(KEY, ["1"])
    assert instances(cloud)["1"].provisioning_state == "Updating"
    observed = settled(cloud, clock)
    assert {i.instance_id: i.latest_model_applied for i in observed.instances} == {"0": False, "1": True}
    assert observed.instance("1") is not None and observed.instance("1").last_model_update is not None  # type: ignore[union-attr]


def test_lab_data_disk_resize_needs_reimage_all(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    """Azure: resizing 32 -> 64 and upgrading marks instances up to date, but the disks stay 32 GB
    until reimage-all recreates them."""
    cloud.apply(KEY, make_model(data_disks={0: 32}), 2)
    settled(cloud, clock)

    cloud.apply(KEY, make_model(data_disks={0: 64}), 2)
    cloud.upgrade_instances(KEY, ["0", "1"])
    after_upgrade = settled(cloud, clock)
    assert [(i.latest_model_applied, i.data_disks) for i in after_upgrade.instances] == [(True, {0: 32})] * 2

    cloud.reimage_all(KEY, ["0"])
    after = settled(cloud, clock)
    assert after.instance("0").data_disks == {0: 64}  # type: ignore[union-attr]
    assert after.instance("1").data_disks == {0: 32}  # type: ignore[union-attr]


def test_upgrade_attaches_new_luns_and_detaches_removed_ones(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(data_disks={0: 32, 1: 16}), 1)
    settled(cloud, clock)

    cloud.apply(KEY, make_model(data_disks={0: 64, 2: 8}), 1)
    cloud.upgrade_instances(KEY, ["0"])

    assert settled(cloud, clock).instance("0").data_disks == {0: 32, 2: 8}  # type: ignore[union-attr]


def test_os_profile_reaches_only_new_and_reimaged_instances(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    old = make_model()
    cloud.apply(KEY, old, 2)
    settled(cloud, clock)

    new = make_model(custom_data="I2Nsb3VkLWNvbmZpZwo=")
    assert new.os_profile_fingerprint() != old.os_profile_fingerprint()
    cloud.apply(KEY, new, 3)  # one new instance
    cloud.upgrade_instances(KEY, ["0", "1"])
    settled(cloud, clock)
    cloud.reimage(KEY, ["1"])
    observed = settled(cloud, clock)

    fingerprints = {i.instance_id: i.os_profile_fingerprint for i in observed.instances}
    assert fingerprints == {
        "0": old.os_profile_fingerprint(),  # upgraded: latest model applied, OS profile unchanged
        "1": new.os_profile_fingerprint(),  # reimaged
        "2": new.os_profile_fingerprint(),  # created after the change
    }
    assert all(i.latest_model_applied for i in observed.instances)


def test_password_change_is_an_os_profile_change_and_is_not_stored(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(password="first-Secret-1"), 1)
    settled(cloud, clock)
    changed = make_model(password="second-Secret-2")

    cloud.apply(KEY, changed, 1)

    assert not instances(cloud)["0"].latest_model_applied
    stored = cloud.model(KEY)
    assert stored is not None and stored.admin_password is None and stored.password_fingerprint is not None
    # The simulator keeps its own keyed fingerprint: neither the client's nor an unkeyed one.
    assert stored.password_fingerprint not in (
        changed.password_fingerprint,
        LEGACY_FINGERPRINTS(ADMIN_PASSWORD, "second-Secret-2"),
    )
    assert observe(cloud).model_hash == changed.model_hash(), "the scale set reports the hash it was sent"


def test_a_re_tag_with_the_same_model_under_another_key_leaves_every_instance_up_to_date(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    """What a new hash scheme (or key) looks like to the cloud: the same model, other hashes."""
    first = make_model(password="first-Secret-1")
    cloud.apply(KEY, first, 2)
    settled(cloud, clock)
    again = first.fingerprinted(HashKey.generate())
    assert again.model_hash() != first.model_hash()

    cloud.apply(KEY, again, 2)

    observed = observe(cloud)
    assert observed.model_hash == again.model_hash() and observed.hash_scheme == again.hash_scheme
    assert all(i.latest_model_applied for i in observed.instances)
    assert {i.os_profile_fingerprint for i in observed.instances} == {again.os_profile_fingerprint()}


def test_upgrade_rebuilds_os_disk_only_when_the_image_reference_changed(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(image={**JAMMY, "version": "2024.01.10"}), 1)
    settled(cloud, clock)
    assert instances(cloud)["0"].image.version == "2024.01.10"

    cloud.apply(KEY, make_model(image={**JAMMY, "version": "2024.02.15"}), 1)
    cloud.upgrade_instances(KEY, ["0"])
    assert settled(cloud, clock).instance("0").image.version == "2024.02.15"  # type: ignore[union-attr]

    # Back to 'latest' with a newer version published: the reference changed, so the OS disk is
    # rebuilt from what latest is now.
    cloud.catalog.publish_platform(JAMMY["publisher"], JAMMY["offer"], JAMMY["sku"], "2024.03.01")
    cloud.apply(KEY, make_model(), 1)
    cloud.upgrade_instances(KEY, ["0"])
    assert settled(cloud, clock).instance("0").image.version == "2024.03.01"  # type: ignore[union-attr]


def test_a_new_latest_version_does_not_change_instances_on_upgrade_but_on_reimage(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(), 2)
    settled(cloud, clock)
    cloud.catalog.publish_platform(JAMMY["publisher"], JAMMY["offer"], JAMMY["sku"], "2024.03.01")

    cloud.apply(KEY, make_model(sku="Standard_D4s_v5"), 2)
    cloud.upgrade_instances(KEY, ["0"])
    cloud.reimage(KEY, ["1"])
    observed = settled(cloud, clock)

    assert observed.instance("0").image.version == "2024.02.15"  # type: ignore[union-attr]
    assert observed.instance("1").image.version == "2024.03.01"  # type: ignore[union-attr]
    # Reimage keeps the instance's model: it was not upgraded, so it is still behind.
    assert observed.instance("1").latest_model_applied is False  # type: ignore[union-attr]


def test_reimage_to_a_pinned_version_for_rollback(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(data_disks={0: 32}), 1)
    settled(cloud, clock)

    cloud.reimage(KEY, ["0"], image_version="2024.01.10")
    instance = settled(cloud, clock).instance("0")

    assert instance is not None
    assert instance.image.version == "2024.01.10"
    assert instance.data_disks == {0: 32}


def test_reimage_to_an_unknown_version_is_refused(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(), 1)
    settled(cloud, clock)

    with pytest.raises(InvalidRequest) as error:
        cloud.reimage(KEY, ["0"], image_version="2099.1.1")

    assert error.value.code == "ImageNotFound"
    assert "2099.1.1" in error.value.message
    assert instances(cloud)["0"].provisioning_state == "Succeeded"


def test_every_operation_reinitializes_health(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(), 4)
    settled(cloud, clock)
    cloud.set_durations(upgrade=30, reimage=30, restart=30, health_delay=5)

    cloud.upgrade_instances(KEY, ["0"])
    cloud.reimage(KEY, ["1"])
    cloud.reimage_all(KEY, ["2"])
    cloud.restart(KEY, ["3"])
    during = observe(cloud)
    assert {(i.provisioning_state, i.health_state) for i in during.instances} == {("Updating", "Initializing")}

    clock.advance(30)
    assert {i.health_state for i in observe(cloud).instances} == {"Initializing"}
    clock.advance(5)
    assert {i.health_state for i in observe(cloud).instances} == {"Healthy"}


# -- scaling -----------------------------------------------------------------------------------


def test_scale_out_adds_new_ids_and_scale_in_removes_the_highest(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(), 3)
    settled(cloud, clock)

    cloud.apply(KEY, make_model(), 1)
    deleting = {i.instance_id for i in observe(cloud).instances if i.provisioning_state == "Deleting"}
    assert deleting == {"1", "2"}
    assert observe(cloud).provisioning_state == "Updating"

    settled(cloud, clock)
    assert ids(cloud) == ["0"]

    cloud.apply(KEY, make_model(), 3)
    assert ids(cloud) == ["0", "3", "4"]  # IDs are never reused


def test_scale_in_honours_the_policy(cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory) -> None:
    cloud.apply(KEY, make_model(rule="OldestVM"), 2)
    clock.advance(60)
    cloud.apply(KEY, make_model(rule="OldestVM"), 4)
    settled(cloud, clock)

    cloud.apply(KEY, make_model(rule="OldestVM"), 2)
    settled(cloud, clock)

    assert ids(cloud) == ["2", "3"]


def test_scale_in_never_removes_protected_instances(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(), 3)
    settled(cloud, clock)
    cloud.set_protection(KEY, "2", scale_in=True)

    cloud.apply(KEY, make_model(), 1)
    settled(cloud, clock)

    assert ids(cloud) == ["2"]


def test_zones_are_balanced_on_create_and_scale_in(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    model = make_model(zones=("1", "2", "3"), fault_domains=1)
    cloud.apply(KEY, model, 7)
    observed = settled(cloud, clock)
    per_zone = {z: sum(1 for i in observed.instances if i.zone == z) for z in ("1", "2", "3")}
    assert per_zone == {"1": 3, "2": 2, "3": 2}

    cloud.apply(KEY, model, 4)
    observed = settled(cloud, clock)
    per_zone = {z: sum(1 for i in observed.instances if i.zone == z) for z in ("1", "2", "3")}
    assert sorted(per_zone.values()) == [1, 1, 2]


def test_fault_and_update_domains_are_spread(cloud: SimulatedCloud, make_model: ModelFactory) -> None:
    cloud.apply(KEY, make_model(fault_domains=2), 6)

    observed = observe(cloud)

    assert sorted(i.fault_domain for i in observed.instances) == [0, 0, 0, 1, 1, 1]
    assert sorted(i.update_domain for i in observed.instances) == [0, 0, 1, 2, 3, 4]


def test_overprovision_creates_extras_and_deletes_them_leaving_gaps(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    model = make_model(overprovision=True)
    cloud.apply(KEY, model, 5)
    assert ids(cloud) == ["0", "1", "2", "3", "4", "5"]

    clock.advance(30)
    states = {i.instance_id: i.provisioning_state for i in observe(cloud).instances}
    assert states["5"] == "Deleting"
    assert {states[i] for i in "01234"} == {"Succeeded"}

    settled(cloud, clock)
    assert ids(cloud) == ["0", "1", "2", "3", "4"]
    assert observe(cloud).capacity == 5

    cloud.apply(KEY, model, 10)
    settled(cloud, clock)
    assert ids(cloud) == ["0", "1", "2", "3", "4", "6", "7", "8", "9", "10"]


def test_overprovision_replaces_a_failed_instance_with_an_extra(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.faults.fail_in_flight("apply", instance_ids=["1"])
    cloud.apply(KEY, make_model(overprovision=True), 3)

    observed = settled(cloud, clock)

    assert ids(cloud) == ["0", "2", "3"]
    assert {i.provisioning_state for i in observed.instances} == {"Succeeded"}


def test_delete_instances_shrinks_capacity_even_for_scale_in_protected(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(), 3)
    settled(cloud, clock)
    cloud.set_protection(KEY, "1", scale_in=True, scale_set_actions=True)

    cloud.delete_instances(KEY, ["1", "2"])

    assert observe(cloud).capacity == 1
    settled(cloud, clock)
    assert ids(cloud) == ["0"]


# -- the scale set lifecycle and errors --------------------------------------------------------


def test_delete_scale_set(cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory) -> None:
    cloud.apply(KEY, make_model(), 2)
    cloud.delete(KEY)

    observed = observe(cloud)
    assert observed.provisioning_state == "Deleting"
    assert {i.provisioning_state for i in observed.instances} == {"Deleting"}
    with pytest.raises(Conflict):
        cloud.apply(KEY, make_model(), 2)

    clock.advance(10)
    assert cloud.get(KEY) is None
    cloud.delete(KEY)  # already gone: no-op


def test_unknown_image_is_refused_with_a_clear_message(cloud: SimulatedCloud, make_model: ModelFactory) -> None:
    with pytest.raises(InvalidRequest) as error:
        cloud.apply(
            KEY, make_model(image={"publisher": "Contoso", "offer": "nope", "sku": "1", "version": "latest"}), 1
        )

    assert error.value.code == "ImageNotFound"
    assert "Contoso:nope:1" in error.value.message
    assert cloud.get(KEY) is None


def test_gallery_image_uses_the_latest_version_replicated_to_the_region(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.catalog.publish_gallery(GALLERY, "1.0.0", ["westeurope"])
    cloud.catalog.publish_gallery(GALLERY, "1.1.0", ["eastus"])
    cloud.apply(KEY, make_model(image={"id": GALLERY}), 1)

    instance = settled(cloud, clock).instance("0")

    assert instance is not None
    assert instance.image.version == "1.0.0"
    assert instance.image.gallery_image_id == GALLERY
    assert cloud.latest_image_version("westeurope", cloud.model(KEY).image) == "1.0.0"  # type: ignore[union-attr]


def test_immutable_properties_cannot_change(cloud: SimulatedCloud, make_model: ModelFactory) -> None:
    cloud.apply(KEY, make_model(), 1)

    with pytest.raises(InvalidRequest) as error:
        cloud.apply(KEY, make_model(location="eastus"), 1)

    assert error.value.code == "PropertyChangeNotAllowed"
    assert "location" in error.value.message


def test_unknown_instance_ids_are_named(cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory) -> None:
    cloud.apply(KEY, make_model(), 2)
    settled(cloud, clock)

    for operation in (cloud.upgrade_instances, cloud.reimage, cloud.reimage_all, cloud.restart, cloud.delete_instances):
        with pytest.raises(NotFound) as error:
            operation(KEY, ["1", "7", "9"])
        assert "7, 9" in error.value.message
    assert {i.provisioning_state for i in observe(cloud).instances} == {"Succeeded"}


def test_instance_operation_on_a_missing_scale_set(cloud: SimulatedCloud) -> None:
    with pytest.raises(NotFound):
        cloud.upgrade_instances(KEY, ["0"])


def test_busy_instances_refuse_another_operation(cloud: SimulatedCloud, make_model: ModelFactory) -> None:
    cloud.apply(KEY, make_model(), 1)

    with pytest.raises(Conflict) as error:
        cloud.upgrade_instances(KEY, ["0"])

    assert "0 (Creating)" in error.value.message


def test_instances_protected_from_scale_set_actions_are_skipped(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(), 2)
    settled(cloud, clock)
    cloud.set_protection(KEY, "1", scale_set_actions=True)
    cloud.apply(KEY, make_model(sku="Standard_D4s_v5"), 2)
    marker = cloud.calls.marker()

    cloud.upgrade_instances(KEY, ["0", "1"])

    assert cloud.calls.since(marker)[0].skipped == ("1",)
    observed = settled(cloud, clock)
    assert {i.instance_id: i.latest_model_applied for i in observed.instances} == {"0": True, "1": False}


# -- faults ------------------------------------------------------------------------------------


def test_bad_image_makes_instances_unhealthy_and_override_wins(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.faults.mark_image_bad("2024.02.15")
    cloud.apply(KEY, make_model(), 2)
    assert {i.health_state for i in settled(cloud, clock).instances} == {"Unhealthy"}

    cloud.set_health_override(KEY, "0", "Healthy")
    assert instances(cloud)["0"].health_state == "Healthy"

    cloud.set_health_override(KEY, "0", None)
    assert instances(cloud)["0"].health_state == "Unhealthy"

    cloud.reimage(KEY, ["1"], image_version="2024.01.10")
    assert settled(cloud, clock).instance("1").health_state == "Healthy"  # type: ignore[union-attr]


def test_health_override_waits_for_the_instance_to_boot(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(), 1)
    cloud.set_health_override(KEY, "0", "Unhealthy")

    assert instances(cloud)["0"].health_state == "Initializing"
    clock.advance(30)
    assert instances(cloud)["0"].health_state == "Initializing"
    clock.advance(5)
    assert instances(cloud)["0"].health_state == "Unhealthy"


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(500, TransientError), (409, Conflict), (401, Unauthorized), (429, Throttled), (404, NotFound)],
)
def test_fail_next_refuses_that_many_calls(
    cloud: SimulatedCloud, make_model: ModelFactory, status: int, error_type: type[Exception]
) -> None:
    cloud.faults.fail_next("apply", 2, status=status, retry_after=7)

    for _ in range(2):
        with pytest.raises(error_type):
            cloud.apply(KEY, make_model(), 1)
    cloud.apply(KEY, make_model(), 1)

    assert cloud.get(KEY) is not None
    assert [c.error is not None for c in cloud.calls.since(0) if c.kind == "apply"] == [True, True, False]


def test_throttle_refuses_every_call_for_a_while(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.throttle_for(60)

    with pytest.raises(Throttled) as error:
        cloud.get(KEY)
    assert error.value.retry_after == 60
    clock.advance(45)
    with pytest.raises(Throttled) as error:
        cloud.apply(KEY, make_model(), 1)
    assert error.value.retry_after == 15

    clock.advance(15)
    cloud.apply(KEY, make_model(), 1)


def test_an_in_flight_failure_leaves_the_batch_failed(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(), 3)
    settled(cloud, clock)
    cloud.apply(KEY, make_model(sku="Standard_D4s_v5"), 3)
    cloud.faults.fail_in_flight("upgrade", instance_ids=["1"])

    cloud.upgrade_instances(KEY, ["0", "1", "2"])  # accepted
    observed = settled(cloud, clock)

    states = {i.instance_id: (i.provisioning_state, i.latest_model_applied, i.health_state) for i in observed.instances}
    assert states == {
        "0": ("Succeeded", True, "Healthy"),
        "1": ("Failed", False, "Unhealthy"),
        "2": ("Succeeded", True, "Healthy"),
    }
    cloud.upgrade_instances(KEY, ["1"])  # a retry recovers it
    assert settled(cloud, clock).instance("1").provisioning_state == "Succeeded"  # type: ignore[union-attr]


# -- call accounting ---------------------------------------------------------------------------


def test_calls_are_counted_per_kind_and_scale_set(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    other = KEY.__class__(KEY.subscription_id, KEY.resource_group, "other")
    cloud.apply(KEY, make_model(), 2)
    cloud.apply(other, make_model(), 1)
    settled(cloud, clock)
    marker = cloud.calls.marker()

    cloud.get(KEY)
    cloud.upgrade_instances(KEY, ["0", "1"])
    cloud.get(other)
    cloud.snapshot(KEY)  # admin reads are not counted

    assert cloud.calls.writes_since(marker) == 1
    assert cloud.calls.reads_since(marker) == 2
    assert cloud.calls.writes_since(marker, KEY) == 1
    assert cloud.calls.reads_since(marker, other) == 1
    assert cloud.calls.counts(KEY) == {"apply": 1, "get": 1, "upgrade": 1}
    assert cloud.calls["apply"] == 2


# -- properties --------------------------------------------------------------------------------

operations = st.lists(
    st.one_of(
        st.tuples(st.just("capacity"), st.integers(0, 8)),
        st.tuples(st.just("delete"), st.integers(0, 3)),
        st.tuples(st.just("wait"), st.sampled_from([1, 10, 30, 100])),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(operations, st.booleans())
def test_instance_ids_are_never_reused(steps: list[tuple[str, int]], overprovision: bool) -> None:
    clock = ManualClock()
    cloud = SimulatedCloud(clock, default_catalog())
    model = build_model(overprovision=overprovision, zones=("1", "2"))
    cloud.apply(KEY, model, 2)
    seen: set[int] = set()
    gone: set[int] = set()

    def check() -> None:
        current = {int(i) for i in ids(cloud)}
        new = current - seen
        assert not (current & gone), "an instance ID came back"
        if new and seen:
            assert min(new) > max(seen), "a new instance got an old ID"
        gone.update(seen - current)
        seen.update(current)

    check()
    for step, value in steps:
        if step == "capacity":
            cloud.apply(KEY, model, value)
        elif step == "delete":
            live = [i.instance_id for i in observe(cloud).instances if i.provisioning_state != "Deleting"]
            if live:
                cloud.delete_instances(KEY, [live[value % len(live)]])
        else:
            clock.advance(value)
        check()

    clock.advance(SETTLE)
    check()
    observed = observe(cloud)
    assert len(observed.instances) == observed.capacity


def test_time_never_runs_backwards_for_the_engine(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    cloud.apply(KEY, make_model(), 1)
    clock.advance(100)
    before = cloud.now()

    clock.set(before - timedelta(hours=1))

    assert cloud.now() == before


def test_a_write_without_the_password_keeps_the_stored_one(
    cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    """What the ARM endpoint does for a PATCH that omits adminPassword: it passes the stored model's
    (the simulator's own) fingerprint on; the model is unchanged, so instances stay up to date."""
    cloud.apply(KEY, make_model(password="first-Secret-1"), 2)
    settled(cloud, clock)
    stored = cloud.model(KEY)
    assert stored is not None
    omitted = replace(make_model().without_secrets(), password_fingerprint=stored.password_fingerprint)
    cloud.apply(KEY, omitted, 2)
    assert all(i.latest_model_applied for i in observe(cloud).instances)
    cloud.apply(KEY, make_model(password="second-Secret-2"), 2)
    assert not any(i.latest_model_applied for i in observe(cloud).instances), "a new password is a change"

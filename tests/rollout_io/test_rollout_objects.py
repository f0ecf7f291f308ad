"""The Kubernetes objects a rollout writes: ControllerRevisions and drain Jobs (what the reconciler
sends, as the API server will store it), and how a Job's state is read."""

from __future__ import annotations

from scaleset_operator.api.rollout_status import RevisionRecord
from scaleset_operator.planner.actions import DrainJob
from scaleset_operator.planner.decision import Decision, RevisionStep, RevisionWrite
from scaleset_operator.planner.observation import Absent
from scaleset_operator.rollout_io import RolloutIO, job_manifest, job_state, revision_manifest
from tests.harness import MemoryKube

BODY = {"metadata": {"name": "web", "namespace": "prod", "uid": "1234"}}
TEMPLATE = {
    "metadata": {"labels": {"team": "web"}, "generateName": "ignored-"},
    "spec": {
        "backoffLimit": 1,
        "template": {
            "spec": {
                "containers": [
                    {"name": "drain", "image": "bitnami/kubectl", "env": [{"name": "MODE", "value": "x"}]},
                    {"name": "log", "image": "busybox"},
                ]
            }
        },
    },
}


def test_a_revision_is_owned_by_its_scale_set_and_holds_the_model() -> None:
    record = RevisionRecord(revision=3, name="web-abc", hash="abc", createdTime="t")
    body = revision_manifest(BODY, record, {"sku": {"name": "D4"}})
    assert body["apiVersion"] == "apps/v1" and body["kind"] == "ControllerRevision" and body["revision"] == 3
    assert body["metadata"]["ownerReferences"] == [
        {"apiVersion": "scaleset.dev/v1alpha1", "kind": "ScaleSet", "name": "web", "uid": "1234", "controller": True}
    ]
    assert body["metadata"]["labels"] == {
        "scaleset.dev/scaleset": "web",
        "scaleset.dev/kind": "revision",
        "scaleset.dev/revision-hash": "abc",
    }
    assert body["data"] == {"apiVersion": "scaleset.dev/v1alpha1", "kind": "ScaleSet", "spec": {"sku": {"name": "D4"}}}


def test_a_drain_job_is_the_template_told_which_instance() -> None:
    job = DrainJob("web-drain-1a2b3c-2-7", "7", "web000007", "Reimage", 300)
    body = job_manifest(BODY, TEMPLATE, job)
    meta = body["metadata"]
    assert meta["name"] == "web-drain-1a2b3c-2-7" and "generateName" not in meta
    assert meta["labels"] == {"team": "web", "scaleset.dev/scaleset": "web", "scaleset.dev/kind": "drain"}
    assert meta["ownerReferences"][0]["uid"] == "1234"
    assert body["spec"]["activeDeadlineSeconds"] == 300 and body["spec"]["backoffLimit"] == 1
    first, second = body["spec"]["template"]["spec"]["containers"]
    told = [
        {"name": "SCALESET_NAME", "value": "web"},
        {"name": "INSTANCE_NAME", "value": "web000007"},
        {"name": "INSTANCE_ID", "value": "7"},
        {"name": "DISRUPTION", "value": "Reimage"},
    ]
    assert first["env"] == [{"name": "MODE", "value": "x"}, *told] and second["env"] == told
    assert TEMPLATE["spec"]["template"]["spec"]["containers"][1] == {"name": "log", "image": "busybox"}  # type: ignore[index]


def test_job_states() -> None:
    def job(*conditions: dict[str, str]) -> dict[str, object]:
        return {"metadata": {"name": "j"}, "status": {"conditions": list(conditions)}}

    assert job_state(job()).phase == "Running"
    assert job_state(job({"type": "Complete", "status": "True"})).phase == "Succeeded"
    assert job_state(job({"type": "SuccessCriteriaMet", "status": "True"})).phase == "Succeeded"
    failed = job_state(job({"type": "Failed", "status": "True", "reason": "DeadlineExceeded", "message": "too slow"}))
    assert (failed.phase, failed.message) == ("Failed", "DeadlineExceeded: too slow")
    assert job_state(job({"type": "Failed", "status": "False"})).phase == "Running"


async def test_a_revision_written_again_after_a_crash_or_renumbered() -> None:
    """A pass repeated after a crash finds its ControllerRevision (nothing to do); a model rolled out again
    gets its revision anew under the new number (ControllerRevision data is immutable)."""
    kube = MemoryKube()
    io = RolloutIO(kube)

    def writing(number: int) -> Decision:
        record = RevisionRecord(revision=number, name="web-abc", hash="abc", createdTime="t")
        step = RevisionStep((record,), None, RevisionWrite(record, {"sku": {"name": "D4"}}))
        return Decision(observation=Absent(), revision=step)

    body = {"metadata": {"name": "web", "namespace": "prod", "uid": "1"}}
    await io.write_revision(body, writing(1))
    await io.write_revision(body, writing(1))
    assert kube.creates == 1 and kube.revisions[("prod", "web-abc")]["revision"] == 1
    await io.write_revision(body, writing(4))
    assert kube.creates == 2 and kube.revisions[("prod", "web-abc")]["revision"] == 4

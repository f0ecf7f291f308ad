"""The rollout's I/O beyond the cloud, for the reconciler: gate measurements, ControllerRevisions and
drain Jobs. No decisions here: what to measure, read, write or delete comes from the planner
(``gates.due``, ``revisions.needs_base_data`` / ``model_source``, the decision's ``revision`` and
``jobs``).

Order within a pass (crash-safe): the ControllerRevision a status will list is written *before* that
status; drain Jobs are created *after* the intent that names them (their names are deterministic,
so a repeated pass finds them: create answers "exists"); revisions the status no longer lists are
deleted after it is written (a crash in between leaves one behind, owned by the ScaleSet, deleted
on the next prune).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from scaleset_operator import GROUP, VERSION, gate_runner
from scaleset_operator.api import scaleset as scaleset_api
from scaleset_operator.api.rollout_status import RevisionRecord
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.planner import revisions
from scaleset_operator.planner.actions import DrainJob
from scaleset_operator.planner.decision import Decision
from scaleset_operator.planner.inputs import GateMeasurement, JobState, OperationView, RevisionData, SpecProblem
from scaleset_operator.planner.rollout import drain, gates

log = logging.getLogger(__name__)

OWNER_LABEL = f"{GROUP}/scaleset"
KIND_LABEL = f"{GROUP}/kind"


class RolloutObjects(Protocol):
    async def read_secret_value(self, namespace: str, name: str, key: str) -> str | None: ...

    async def create_revision(self, namespace: str, body: dict[str, Any]) -> bool: ...

    async def read_revision(self, namespace: str, name: str) -> dict[str, Any] | None: ...

    async def list_revisions(self, namespace: str, selector: str) -> list[str]: ...

    async def delete_revision(self, namespace: str, name: str) -> None: ...

    async def create_job(self, namespace: str, body: dict[str, Any]) -> bool: ...

    async def list_jobs(self, namespace: str, selector: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Observed:
    """What the planner gets besides the cloud: this pass's gate measurements, the drain Jobs, the
    pinned revision's spec, the newest revision's data; or why the pin cannot be followed."""

    gate_measurements: tuple[GateMeasurement, ...] = ()
    jobs: dict[str, JobState] = field(default_factory=dict)
    pinned_spec: ScaleSetSpec | None = None
    base_revision: RevisionData | None = None
    problem: SpecProblem | None = None


def owner(body: Mapping[str, Any]) -> dict[str, Any]:
    meta = body["metadata"]
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": scaleset_api.KIND,
        "name": meta["name"],
        "uid": meta.get("uid") or "",
        "controller": True,
    }


def selector(name: str, kind: str) -> str:
    return f"{OWNER_LABEL}={name},{KIND_LABEL}={kind}"


def revision_manifest(body: Mapping[str, Any], record: RevisionRecord, data: dict[str, Any]) -> dict[str, Any]:
    name = body["metadata"]["name"]
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": record.name,
            "labels": {OWNER_LABEL: name, KIND_LABEL: "revision", f"{GROUP}/revision-hash": record.hash},
            "ownerReferences": [owner(body)],
        },
        "revision": record.revision,
        "data": {"apiVersion": f"{GROUP}/{VERSION}", "kind": scaleset_api.KIND, "spec": data},
    }


def job_manifest(body: Mapping[str, Any], template: Mapping[str, Any], job: DrainJob) -> dict[str, Any]:
    """The drain Job: the user's template, named and labelled by the operator, owned by the ScaleSet,
    bounded by the timeout, and told which instance it drains."""
    name = body["metadata"]["name"]
    metadata = copy.deepcopy(dict(template.get("metadata") or {}))
    spec = copy.deepcopy(dict(template.get("spec") or {}))
    labels = {**(metadata.get("labels") or {}), OWNER_LABEL: name, KIND_LABEL: "drain"}
    metadata.update(name=job.name, labels=labels, ownerReferences=[owner(body)])
    metadata.pop("generateName", None)
    spec.setdefault("activeDeadlineSeconds", job.timeout_seconds)
    env = [
        {"name": "SCALESET_NAME", "value": name},
        {"name": "INSTANCE_NAME", "value": job.instance_name},
        {"name": "INSTANCE_ID", "value": job.instance_id},
        {"name": "DISRUPTION", "value": job.disruption},
    ]
    pod = spec.setdefault("template", {}).setdefault("spec", {})
    for container in pod.get("containers") or []:
        container["env"] = [*(container.get("env") or []), *env]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec}


def job_state(job: Mapping[str, Any]) -> JobState:
    """Succeeded or Failed once the Job's condition says so (Complete / SuccessCriteriaMet, Failed)."""
    name = job["metadata"]["name"]
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("status") != "True":
            continue
        if condition.get("type") in ("Complete", "SuccessCriteriaMet"):
            return JobState(name, "Succeeded")
        if condition.get("type") == "Failed":
            detail = ": ".join(p for p in (condition.get("reason"), condition.get("message")) if p)
            return JobState(name, "Failed", detail)
    return JobState(name, "Running")


class RolloutIO:
    def __init__(self, kube: RolloutObjects) -> None:
        self.kube = kube
        self._revisions: dict[tuple[str, str], dict[str, Any]] = {}
        """ControllerRevision data by (namespace, name): immutable, so read once."""

    async def observe(
        self,
        body: Mapping[str, Any],
        spec: ScaleSetSpec,
        status: ScaleSetStatus,
        now: datetime,
        operation: OperationView | None = None,
    ) -> Observed:
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        measured = tuple(
            [await gate_runner.measure(r, self.kube.read_secret_value, namespace) for r in gates.due(status, spec, now)]
        )
        jobs: dict[str, JobState] = {}
        op_drain = operation.status.drain if operation is not None else None
        if (status.rollout is not None and drain.draining(status.rollout.batch)) or (
            op_drain is not None and op_drain.endTime is None
        ):
            found = await self.kube.list_jobs(namespace, selector(name, "drain"))
            jobs = {state.name: state for state in map(job_state, found)}
        base = None
        name_of_base = revisions.needs_base_data(status, spec)
        if name_of_base is not None:
            data = await self._revision(namespace, name_of_base)
            base = RevisionData(name_of_base, data) if data is not None else None
        source, problem = await self._model_source(namespace, spec, status)
        return Observed(measured, jobs, source, base, problem)

    async def _model_source(
        self, namespace: str, spec: ScaleSetSpec, status: ScaleSetStatus
    ) -> tuple[ScaleSetSpec | None, SpecProblem | None]:
        """The spec to send to the cloud instead of this one: a pinned or held revision's model."""
        name = revisions.model_source(status, spec)
        if name is None:
            return None, None
        data = await self._revision(namespace, name)
        if data is None:
            message = (
                f"ControllerRevision {name}, whose model the cloud is held at (a rollback or a held change), "
                "is gone: change the spec's model to release it"
            )
            return None, SpecProblem("RevisionNotFound", message)
        return revisions.with_model(spec, data), None

    async def _revision(self, namespace: str, name: str) -> dict[str, Any] | None:
        key = (namespace, name)
        if key not in self._revisions:
            found = await self.kube.read_revision(namespace, name)
            if found is None:
                return None
            self._revisions[key] = dict((found.get("data") or {}).get("spec") or {})
        return self._revisions[key]

    async def write_revision(self, body: Mapping[str, Any], decision: Decision) -> None:
        """Before the status that lists it. A revision renumbered (its model rolled out again) is created
        anew: ControllerRevision data is immutable, and a patch would re-encode it."""
        step = decision.revision
        if step is None or step.write is None:
            return
        namespace, record = body["metadata"]["namespace"], step.write.record
        manifest = revision_manifest(body, record, step.write.data)
        if not await self.kube.create_revision(namespace, manifest):
            found = await self.kube.read_revision(namespace, record.name)
            if found is None or found.get("revision") != record.revision:  # renumbered (or a pass repeated)
                await self.kube.delete_revision(namespace, record.name)
                await self.kube.create_revision(namespace, manifest)
        self._revisions[(namespace, record.name)] = step.write.data

    async def create_jobs(self, body: Mapping[str, Any], spec: ScaleSetSpec | None, decision: Decision) -> None:
        """After the intent that names them."""
        hook = spec.rolloutPolicy.drain if spec is not None else None
        if not decision.jobs or hook is None:
            return
        namespace = body["metadata"]["namespace"]
        for job in decision.jobs:
            if await self.kube.create_job(namespace, job_manifest(body, hook.jobTemplate, job)):
                log.info("%s: drain Job %s created for %s", body["metadata"]["name"], job.name, job.instance_name)

    async def prune(self, body: Mapping[str, Any], decision: Decision) -> None:
        """After the status that no longer lists them: every revision not kept (also one left by a crash)."""
        step = decision.revision
        if step is None or (step.write is None and not step.pruned):
            return
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        kept = {r.name for r in step.revisions}
        for found in await self.kube.list_revisions(namespace, selector(name, "revision")):
            if found not in kept:
                await self.kube.delete_revision(namespace, found)
                self._revisions.pop((namespace, found), None)

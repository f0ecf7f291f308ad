"""kopf settings: what kopf keeps on the objects (nothing), and what it may post.

The handlers are watch-event and index handlers only, so kopf has no handler progress to store and
no "last handled" spec to diff against:

- **No diff-base.** kopf still builds the essence of every watched body for a diff (a deep copy of
  the whole object) on every watch event, to feed on.update/on.field handlers the operator does not
  have. With thousands of ScaleSets and their status writes, that copy was the largest single CPU
  cost of the operator; ``NoDiffBase`` makes it an empty dict and stores nothing on the objects.
- **No finalizer of kopf's.** kopf's finalizer name is one no object carries: the operator manages
  ``scaleset.dev/finalizer`` itself (``fleet.py``), and kopf removes *its* finalizer from objects
  that no handler of its needs one for.
- Progress would go into annotations under our prefix (never ``status.kopf``, which our structural
  CRD would prune silently) should a changing handler ever be added.

Only explicit Events are posted (no log-to-Event mirroring), so an idle ScaleSet produces no Event
churn. Events name us as their source (``kubectl describe``'s "From" column, ``reportingComponent``)
and the replica that posted them (``reportingInstance``: the pod name the chart passes as ``POD_ID``,
else the host name). kopf's per-object log lines are kept from WARNING up: at INFO it logs "Handler ... succeeded"
for every watch event (every status write coming back), which says nothing and, across a fleet,
costs CPU and log volume; what happens to a ScaleSet is logged by the reconciler.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

import kopf

from scaleset_operator import GROUP


class NoDiffBase(kopf.DiffBaseStorage):
    """An empty essence, never fetched or stored: for an operator without on.update/on.field handlers."""

    def build(self, *, body: kopf.Body, extra_fields: Any = None) -> Any:
        return {}

    def fetch(self, *, body: kopf.Body) -> Any:
        return None

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: Any) -> None:
        return None


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = NoDiffBase()
    settings.persistence.finalizer = f"kopf.{GROUP}/unused"
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:  # --verbose keeps everything
        logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    settings.posting.loggers = False
    settings.posting.level = logging.INFO
    settings.posting.reporting_component = "scaleset-operator"
    settings.posting.reporting_instance = os.environ.get("POD_ID") or socket.gethostname()
    settings.posting.event_name_prefix = "scaleset-operator-"
    settings.watching.server_timeout = 300
    settings.networking.request_timeout = 60

"""kopf settings: where kopf keeps its own bookkeeping.

kopf's default progress storage writes into ``status.kopf``, which our structural CRD would prune
silently (and kopf would then retry forever), so progress and the last-handled spec go into
annotations under our own prefix. Only explicit Events are posted (no log-to-Event mirroring),
so an idle ScaleSet produces no Event churn. Events name us as their source (``kubectl describe``'s
"From" column, ``reportingComponent``) and the replica that posted them (``reportingInstance``: the
pod name the chart passes as ``POD_ID``, else the host name).
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

import kopf

from scaleset_operator import GROUP


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration"
    )
    settings.persistence.finalizer = f"{GROUP}/finalizer"
    settings.posting.loggers = False
    settings.posting.level = logging.INFO
    settings.posting.reporting_component = "scaleset-operator"
    settings.posting.reporting_instance = os.environ.get("POD_ID") or socket.gethostname()
    settings.posting.event_name_prefix = "scaleset-operator-"
    settings.watching.server_timeout = 300
    settings.networking.request_timeout = 60

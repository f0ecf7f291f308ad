"""kopf settings: where kopf would keep its own bookkeeping, and what it may post.

The handlers are watch-event and index handlers only, which keep no progress on the objects; the
storages are still pointed away from ``status.kopf`` (our structural CRD would prune it silently and
kopf would retry forever) in case a changing handler is ever added. kopf's finalizer name is one no
object carries: the operator manages ``scaleset.dev/finalizer`` itself (``fleet.py``), and kopf
removes *its* finalizer from objects no handler of it needs one for. Only explicit Events are
posted (no log-to-Event mirroring), so an idle ScaleSet produces no Event churn.
"""

from __future__ import annotations

import logging
from typing import Any

import kopf

from scaleset_operator import GROUP


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration"
    )
    settings.persistence.finalizer = f"kopf.{GROUP}/unused"
    settings.posting.loggers = False
    settings.posting.level = logging.INFO
    settings.watching.server_timeout = 300
    settings.networking.request_timeout = 60

"""Revisions in status: the models rolled out (``status.revisions``, newest first, each with what
changed) and the rollback pin (``status.pinnedRevision``: the spec and the cloud differ on purpose).

Written from the decision's ``RevisionStep``; kept as stored when the pass did not evaluate them
(the cloud could not be read, the spec cannot be planned)."""

from __future__ import annotations

from typing import Any

from scaleset_operator.planner.status.view import View


def fields(view: View) -> dict[str, Any]:
    step = view.decision.revision
    if step is None:
        return {"revisions": view.previous.revisions, "pinnedRevision": view.previous.pinnedRevision}
    return {"revisions": list(step.revisions), "pinnedRevision": step.pinned}

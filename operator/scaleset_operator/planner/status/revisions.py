"""Revisions in status: the models rolled out (``status.revisions``, newest first, each with what
changed), the rollback pin (``status.pinnedRevision``: the spec and the cloud differ on purpose) and
what the spec's latest change does (``status.changePreview``).

Written from the decision's ``RevisionStep``; kept as stored when the pass did not evaluate them
(the cloud could not be read, the spec cannot be planned)."""

from __future__ import annotations

from typing import Any

from scaleset_operator.planner.status.view import View


def fields(view: View) -> dict[str, Any]:
    step = view.decision.revision
    previous = view.previous
    if step is None:
        return {
            "revisions": previous.revisions,
            "pinnedRevision": previous.pinnedRevision,
            "changePreview": previous.changePreview,
        }
    return {"revisions": list(step.revisions), "pinnedRevision": step.pinned, "changePreview": step.preview}

"""``ScaleSetOperation``: one-shot requests, carried out by the target ScaleSet's own reconcile pass.

Routing operations through the ScaleSet's pass keeps one writer per ScaleSet status (a
StartOSUpgrade or CancelRollingUpgrade changes the rollout record) and lets the same intent rule
apply: the operation's status (phase Running, affected instances, ``acted: false``) is written before
the backend call and ``acted`` after it, so the call is never made twice.

Phases: Pending -> Running (call recorded, then sent) -> Succeeded / Failed once the affected
instances have settled (or the rollout it started or cancelled has ended).

- ``step``: which operation kind handles it, and operations whose ScaleSet does not exist;
- ``instance_actions``: UpgradeInstances, Reimage, ReimageAll, Restart, DeleteInstances;
- ``start_os_upgrade``: StartOSUpgrade (a User-started OS upgrade, no automatic rollback);
- ``cancel_rollout``: CancelRollingUpgrade (stops after the batch in flight).
"""

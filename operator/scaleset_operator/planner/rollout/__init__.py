"""Rollouts: moving instances to a target batch by batch (Rolling model upgrades, automatic OS
image upgrades, opt-in reimage-all of drifted disks).

(Azure's rolling upgrade policy itself, shared with the OS upgrade start rule, is ``planner.rolling_policy``.)

- ``batches``: the batch state machine every rollout shares (send, settle, roll back, next batch);
- ``max_surge``: the maxSurge variant of settling a batch;
- ``strategies``: what distinguishes one kind of rollout from another;
- ``starting``: which rollout starts (or restarts toward a new model) and when;
- ``progress``: the progress counts and message of a rollout;
- ``drive``: the concern ``decide`` calls: start, step, chain, and what the rollout waits for.
"""

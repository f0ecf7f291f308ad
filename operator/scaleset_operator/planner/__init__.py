"""The planner: pure policy. (spec, observation, recorded rollout, now) -> actions + status.

No I/O and no clock of its own: the same inputs always give the same plan, so every policy rule is
tested with plain tables and property-based sequences. Entry point: ``plan.plan``.
"""

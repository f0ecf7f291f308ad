"""The planner: pure policy. ``decide(inputs) -> Decision`` once per pass, and
``status.build_status(inputs, decision, outcome)`` for everything shown.

No I/O and no clock of its own: the same inputs always give the same decision, so every policy rule
is tested with plain tables, property-based sequences and golden logs. See docs/architecture.md for
the module map.
"""

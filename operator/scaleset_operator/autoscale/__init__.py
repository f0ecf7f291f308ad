"""Azure's autoscale, as a pure library: which profile is in force, what the rules decide, and why.

``engine.evaluate`` is the whole of it; ``profiles`` (fixed date > recurrence > default, time
zones), ``metrics`` (timeGrain/statistic/timeWindow/timeAggregation) and ``timezones`` (Windows
names) are its parts. No I/O and no clock: the simulator evaluates settings with it on its own
clock, as Azure does in the cloud, and the planner may import it to explain or predict a decision.
See docs/autoscale.md.
"""

from scaleset_operator.autoscale.engine import AutoscaleInput, Evaluation, RuleEvaluation, evaluate
from scaleset_operator.autoscale.metrics import MetricSample
from scaleset_operator.autoscale.profiles import ActiveProfile, active_profile, next_change

__all__ = [
    "ActiveProfile",
    "AutoscaleInput",
    "Evaluation",
    "MetricSample",
    "RuleEvaluation",
    "active_profile",
    "evaluate",
    "next_change",
]

"""The scale set simulator: Azure VM scale set semantics in simulated time, as a library.

``engine.SimulatedCloud`` holds the scale sets; ``clock`` makes time injectable; ``catalog`` says
which image versions exist where; ``faults`` injects errors, throttling, failed operations and bad
images; ``admin_server`` exposes the controls over local HTTP for ``scaleset-operator sim``. The
fake backend (``backends.fake``) and the ARM-compatible endpoint both drive the same engine.
See docs/simulator.md.
"""

from scaleset_operator.simulator.catalog import ImageCatalog, default_catalog
from scaleset_operator.simulator.clock import Clock, ManualClock, ScaledClock
from scaleset_operator.simulator.engine import SimulatedCloud
from scaleset_operator.simulator.faults import Faults
from scaleset_operator.simulator.timing import Durations

__all__ = [
    "Clock",
    "Durations",
    "Faults",
    "ImageCatalog",
    "ManualClock",
    "ScaledClock",
    "SimulatedCloud",
    "default_catalog",
]

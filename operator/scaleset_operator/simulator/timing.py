"""How long each simulated operation takes, in simulated seconds.

Durations are read when an operation starts, so changing them (admin endpoint, tests) affects
only operations started afterwards, as a change of cloud weather would.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass
class Durations:
    create: float = 30.0
    upgrade: float = 30.0
    reimage: float = 30.0
    """Also used by reimage-all."""
    restart: float = 10.0
    delete: float = 10.0
    """Deleting an instance, and deleting a whole scale set."""
    start: float = 20.0
    """Starting a stopped or deallocated instance (then health initializes)."""
    stop: float = 10.0
    """Power off (graceful shutdown); with ``skipShutdown`` half as long."""
    deallocate: float = 15.0
    """Deallocating (also a Spot eviction with the Deallocate policy)."""
    redeploy: float = 30.0
    """Redeploy to a new node, and platform maintenance started by the customer."""
    health_delay: float = 5.0
    """Initializing -> Healthy/Unhealthy once an instance is Succeeded and running."""

    def update(self, **seconds: float) -> None:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(seconds) - known)
        if unknown:
            raise ValueError(f"unknown duration(s) {unknown}; known: {sorted(known)}")
        for name, value in seconds.items():
            if value < 0:
                raise ValueError(f"duration {name} must not be negative")
            setattr(self, name, float(value))

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

"""A no-op kopf operator: the baseline ``bench/fleet.py`` runs beside the real operator.

It watches the same ScaleSets with one ``on.event`` handler that does nothing, so its memory and CPU
are what kopf itself costs for those objects: the floor any kopf operator pays.

    .venv/bin/python -m bench.noop_operator --namespace fleet --liveness-port 8081
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

import kopf


@kopf.on.event("scaleset.dev", "v1alpha1", "scalesets")
async def noop(**_: Any) -> None:
    """Nothing: the cost of being told."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--namespace", action="append", default=[])
    parser.add_argument("--liveness-port", type=int, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(
        kopf.operator(
            namespaces=args.namespace,
            clusterwide=not args.namespace,
            standalone=True,
            liveness_endpoint=f"http://127.0.0.1:{args.liveness_port}/healthz",
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

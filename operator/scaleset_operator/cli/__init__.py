"""The ``scaleset-operator`` console script.

Each subcommand lives in its own module (``cli/local.py`` for ``local up|down|status`` ...) and
exposes ``register(subparsers)``; this module only wires them together so that importing the CLI
never imports kopf or the Azure SDK until a subcommand that needs them actually runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

SUBCOMMANDS = ("local", "crds", "run", "status", "sim", "simulator")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scaleset-operator",
        description="Manage virtual machine scale sets declaratively from Kubernetes.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"scaleset_operator.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"scaleset_operator.cli.{name}":
                continue  # subcommand not built yet
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())

"""``scaleset-operator crds``: print the CRDs generated from the models, or write them to a folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scaleset_operator.api import crd


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("crds", help="print (or write) the CustomResourceDefinitions")
    parser.add_argument("--output-dir", type=Path, help="write one file per CRD here instead of printing")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    crds = crd.all_crds()
    if args.output_dir is None:
        sys.stdout.write("---\n".join(crd.render(c) for c in crds))
        return 0
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for c in crds:
        path = args.output_dir / crd.file_name(c)
        path.write_text(crd.render(c))
        print(f"wrote {path}")
    return 0

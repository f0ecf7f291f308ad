"""Size gate for the code a newcomer reads first: no function over 60 lines, none above radon's
cyclomatic complexity grade C (``make lint`` runs it; ``--top N`` prints the largest functions).

Lines are counted with ``ast`` from the ``def`` line to the function's last line (docstring
included, decorators not). Checked: the planner, the reconciler, the fleet's scheduling modules
and this gate's own list below.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from radon.complexity import cc_rank, cc_visit

ROOT = Path(__file__).resolve().parents[1]
CHECKED = (
    "operator/scaleset_operator/planner",
    "operator/scaleset_operator/reconciler.py",
    "operator/scaleset_operator/fleet.py",
    "operator/scaleset_operator/scheduler.py",
    "operator/scaleset_operator/pacing.py",
    "operator/scaleset_operator/sharding.py",
)
MAX_LINES = 60
WORST_GRADE = "C"


@dataclass(frozen=True)
class Function:
    path: str
    name: str
    line: int
    lines: int
    complexity: int

    @property
    def grade(self) -> str:
        return str(cc_rank(self.complexity))


def _files(paths: tuple[str, ...]) -> Iterator[Path]:
    for raw in paths:
        path = ROOT / raw
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def functions(paths: tuple[str, ...] = CHECKED) -> list[Function]:
    found: list[Function] = []
    for path in _files(paths):
        source = path.read_text()
        blocks = [m for b in cc_visit(source) for m in (b, *getattr(b, "methods", []))]
        complexity = {(b.name, b.lineno): b.complexity for b in blocks}
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                found.append(
                    Function(
                        path=str(path.relative_to(ROOT)),
                        name=node.name,
                        line=node.lineno,
                        lines=node.end_lineno - node.lineno + 1,
                        complexity=complexity.get((node.name, node.lineno), 1),
                    )
                )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--top", type=int, default=0, help="print the N longest functions")
    parser.add_argument("paths", nargs="*", default=list(CHECKED))
    args = parser.parse_args(argv)
    found = functions(tuple(args.paths))
    for f in sorted(found, key=lambda f: -f.lines)[: args.top]:
        print(f"{f.lines:4d} lines  grade {f.grade} ({f.complexity:2d})  {f.path}:{f.line} {f.name}")
    too_long = [f for f in found if f.lines > MAX_LINES]
    too_complex = [f for f in found if f.grade > WORST_GRADE]
    for f in too_long:
        print(f"{f.path}:{f.line}: {f.name} has {f.lines} lines (at most {MAX_LINES})", file=sys.stderr)
    for f in too_complex:
        print(f"{f.path}:{f.line}: {f.name} has complexity grade {f.grade} (at most {WORST_GRADE})", file=sys.stderr)
    return 1 if too_long or too_complex else 0


if __name__ == "__main__":
    sys.exit(main())

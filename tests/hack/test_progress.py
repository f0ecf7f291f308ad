"""``make setup`` shows what it builds and how far along (hack/lib/progress.sh), not pages of Go output.

``run_step`` is driven here with a stand-in for ``go build`` that prints what Go prints, so what a
user sees is checked without building anything: one line per step (redrawn on a terminal, at its
start and end elsewhere), the full output kept in a log, and the log's tail when the step fails.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

FAKE_GO = """
fake_go() {
    for m in a b c; do echo "go: downloading example.com/$m v1.0.0"; done
    sleep 1.2
    for p in x y; do echo "example.com/$p"; done
    [[ "${1:-ok}" == ok ]] || { for i in $(seq 1 80); do echo "compile error $i"; done; exit 3; }
}
"""


def run_step(tmp_path: Path, outcome: str) -> subprocess.CompletedProcess[str]:
    go_sum = tmp_path / "go.sum"
    go_sum.write_text("example.com/a v1.0.0 h1:x=\nexample.com/a v1.0.0/go.mod h1:y=\nexample.com/b v1.0.0 h1:z=\n")
    script = (
        f"set -euo pipefail; source {REPO}/hack/lib/progress.sh; {FAKE_GO}\n"
        f'PROGRESS_TAIL=5 run_step "build [1/1] fake-v1" {tmp_path}/logs/fake.log {go_sum} fake_go {outcome}'
    )
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, check=False)


def test_a_step_shows_one_line_at_each_end_and_keeps_the_go_output_in_its_log(tmp_path: Path) -> None:
    result = run_step(tmp_path, "ok")
    assert result.returncode == 0, result.stderr
    log = tmp_path / "logs" / "fake.log"
    started, done = result.stderr.splitlines()
    assert started == f"build [1/1] fake-v1: started (full log: {log})"
    assert re.fullmatch(
        rf"build \[1/1\] fake-v1: done in 0:0\d \(3 modules fetched, 2 packages compiled; log: {log}\)", done
    )
    assert "go: downloading" not in result.stdout + result.stderr
    assert log.read_text().count("go: downloading") == 3


def test_a_failed_step_prints_the_end_of_its_log_and_fails_with_its_status(tmp_path: Path) -> None:
    result = run_step(tmp_path, "fail")
    assert result.returncode == 3
    lines = result.stderr.splitlines()
    assert re.match(r"build \[1/1\] fake-v1: FAILED \(exit 3\) after 0:0\d; last 5 lines of .*fake.log:$", lines[1])
    assert lines[2:] == [f"compile error {i}" for i in range(76, 81)]
    assert (tmp_path / "logs" / "fake.log").read_text().count("compile error") == 80

"""``scaleset-operator run --log-format``: kopf's text and JSON formatters, naming the object a message is about.

The chart runs the operator with ``--log-format=json`` (tests/helm/test_install.py reads a real
operator's log); here both formats are checked on records shaped as kopf shapes per-object ones.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from scaleset_operator.cli import build_parser
from scaleset_operator.runtime import configure_logging

REF = {"apiVersion": "scaleset.dev/v1alpha1", "kind": "ScaleSet", "namespace": "prod", "name": "web", "uid": "u-1"}


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def log_lines(capsys: pytest.CaptureFixture[str], log_format: str) -> list[str]:
    configure_logging(log_format)
    logging.getLogger("scaleset_operator.test").info("plain %s", "message")
    logging.getLogger("kopf.objects").warning("about web", extra={"k8s_ref": REF})
    return capsys.readouterr().err.splitlines()


def test_json_logs_are_one_object_per_line_naming_the_object(
    capsys: pytest.CaptureFixture[str], restored_logging: None
) -> None:
    plain, about = (json.loads(line) for line in log_lines(capsys, "json"))
    assert plain["message"] == "plain message" and plain["severity"] == "info"
    assert plain["logger"] == "scaleset_operator.test" and "timestamp" in plain and "object" not in plain
    assert about["message"] == "about web" and about["severity"] == "warn"
    assert about["object"] == REF


def test_text_logs_prefix_the_object(capsys: pytest.CaptureFixture[str], restored_logging: None) -> None:
    plain, about = log_lines(capsys, "text")
    assert plain.endswith("[INFO    ] plain message")
    assert about.endswith("[WARNING ] [prod/web] about web")


def test_log_format_is_text_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCALESET_LOG_FORMAT", raising=False)
    parser = build_parser()
    assert parser.parse_args(["run", "--log-format", "json"]).log_format == "json"
    assert parser.parse_args(["run"]).log_format == "text"
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--log-format", "xml"])

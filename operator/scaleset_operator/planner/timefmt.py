"""Timestamps in status are RFC 3339 UTC strings (``2026-01-02T03:04:05Z``), like Kubernetes'."""

from __future__ import annotations

from datetime import UTC, datetime


def fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def seconds_since(value: str | None, now: datetime) -> float:
    if value is None:
        return float("inf")
    return (now - parse(value)).total_seconds()

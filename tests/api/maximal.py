"""The maximal ScaleSets of ``maximal.yaml`` (every covered property between them) and their Secret."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cloud.secrets import resolve, secret_refs

PATH = Path(__file__).with_name("maximal.yaml")
DOCUMENTS: list[dict[str, Any]] = [d for d in yaml.safe_load_all(PATH.read_text()) if d]
SECRET: dict[str, str] = next(d for d in DOCUMENTS if d["kind"] == "Secret")["stringData"]
MANIFESTS: dict[str, dict[str, Any]] = {d["metadata"]["name"]: d for d in DOCUMENTS if d["kind"] == "ScaleSet"}


def maximal_manifest(name: str = "maximal-linux") -> dict[str, Any]:
    return copy.deepcopy(MANIFESTS[name])


def maximal_spec(name: str = "maximal-linux") -> ScaleSetSpec:
    return ScaleSetSpec.model_validate(MANIFESTS[name]["spec"])


def secrets_for(spec: ScaleSetSpec) -> dict[str, Any]:
    """The resolved secret values, as the reconciler would read them from the Secret."""
    refs = secret_refs(spec)
    return resolve(refs, {ref.target: SECRET[ref.key] for ref in refs})


SECRETS = secrets_for(maximal_spec())

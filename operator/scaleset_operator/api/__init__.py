"""The ScaleSet API (group ``scaleset.dev``, version ``v1alpha1``): pydantic models and CRD generation.

The models are the single source of truth: the CRD YAML in ``crds/`` is generated from them
(``crd.py``) and the operator re-validates every object with them before acting.
"""

"""scaleset-operator: manage virtual machine scale sets declaratively from Kubernetes.

Layers (enforced by import-linter, see pyproject.toml):
- ``api``: pydantic models of the ScaleSet / ScaleSetOperation resources and CRD generation (pure).
- ``planner``: pure policy: (spec, observation, recorded rollout, now) -> actions + status.
- ``backends``: the batch-oriented backend protocol; ``fake`` (simulator) and ``azure`` (SDK).
- ``simulator``: the scale set engine with an injectable clock, shared by both fake endpoints.
- ``reconciler``: one pass of observe -> plan -> act -> report; the only place doing I/O on purpose.
- ``handlers``: thin kopf handlers; ``cli``: the ``scaleset-operator`` entry point.
- ``localcp``: a local kube-apiserver + etcd control plane for tests and ``local up``.
"""

GROUP = "scaleset.dev"
VERSION = "v1alpha1"

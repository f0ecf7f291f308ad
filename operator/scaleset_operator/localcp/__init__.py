"""A local Kubernetes control plane (etcd + kube-apiserver), envtest-style, for tests and ``local up``.

- :mod:`.assets` finds the binaries (``$KUBEBUILDER_ASSETS``, ``$SCALESET_ASSETS_DIR``, the repo
  cache that ``make setup`` fills) and the pinned kubectl;
- :mod:`.pki` mints the CA, serving cert and client identities (user = CN, groups = O);
- :mod:`.kubeconfig` writes self-contained kubeconfigs;
- :mod:`.controlplane` runs the pair: :class:`ControlPlane`;
- :mod:`.kubectl` drives it with the real kubectl: :class:`Kubectl`;
- :mod:`.local_cluster` keeps one running in the background for ``scaleset-operator local``.

Deliberately free of kopf and the Azure SDK (import-linter enforces it): tests of any layer can
start a control plane without pulling in the operator.
"""

from scaleset_operator.localcp.assets import Assets, AssetsNotFoundError, find_assets, find_kubectl
from scaleset_operator.localcp.controlplane import ControlPlane, ControlPlaneError, Ports
from scaleset_operator.localcp.kubectl import Kubectl, KubectlError, Watch
from scaleset_operator.localcp.local_cluster import (
    ensure_local_cluster,
    local_cluster_down,
    local_cluster_status,
    local_cluster_up,
)
from scaleset_operator.pki import ADMIN_GROUPS, ADMIN_USER, CertificateAuthority, KeyPair

__all__ = [
    "ADMIN_GROUPS",
    "ADMIN_USER",
    "Assets",
    "AssetsNotFoundError",
    "CertificateAuthority",
    "ControlPlane",
    "ControlPlaneError",
    "KeyPair",
    "Kubectl",
    "KubectlError",
    "Ports",
    "Watch",
    "ensure_local_cluster",
    "find_assets",
    "find_kubectl",
    "local_cluster_down",
    "local_cluster_status",
    "local_cluster_up",
]

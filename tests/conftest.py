"""Shared pytest configuration. Fixtures live in ``tests/fixtures/`` modules, loaded as plugins here.

Add a plugin module per concern (``fixtures/<concern>.py``) and list it below rather than growing
this file. The package prefix is computed so the names resolve whether or not ``tests/`` is itself
a package (pytest's rootdir-relative import puts either ``tests/`` or its parent on sys.path).
"""

_PREFIX = f"{__package__}.fixtures" if __package__ else "fixtures"

pytest_plugins = [
    f"{_PREFIX}.control_plane",  # control_plane, kubectl, kubeconfig_for, ... (real kube-apiserver)
    f"{_PREFIX}.operator",  # operator_process(), scaleset_crds, scaleset_operator (the operator, in the background)
    f"{_PREFIX}.arm_simulator",  # arm_simulator: the ARM-compatible endpoint as its own process (--backend azure)
]

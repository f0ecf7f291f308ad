"""An ARM-compatible HTTPS endpoint over the simulator engine, for the real Azure SDK.

The Azure backend (``azure-mgmt-compute`` unmodified, pointed here with ``base_url``, a static
token and the generated CA bundle) talks to it exactly as to ``management.azure.com``: Compute REST
paths and api-versions, long-running operations with ``Azure-AsyncOperation``/``Location``/
``Retry-After``, ARM's error shape and codes, 429s with ``Retry-After``, etags, bearer tokens.
It never imports the Azure SDK. ``scaleset-operator simulator`` runs it; see docs/azure.md.

Modules: ``app`` (routes, api-versions, headers), ``request`` (what every handler shares), the
handlers ``scale_sets``, ``virtual_machines`` (Flexible VMs), ``upgrades`` (rolling upgrades) and
``images``; ``documents`` (each scale set as its client wrote it), ``validation`` (what ARM refuses
up front), ``parse``/``render`` (ARM JSON <-> engine), ``operations`` (LROs over simulated time),
``auth``, ``errors``, ``state``, ``tls`` (test CA), ``admin`` (``/arm/*`` admin routes), ``server``
(start it). docs/simulator.md has the route table.
"""

from scaleset_operator.simulator.arm.server import ArmEndpoint, start_arm_endpoint
from scaleset_operator.simulator.arm.state import ArmSettings, ArmState

__all__ = ["ArmEndpoint", "ArmSettings", "ArmState", "start_arm_endpoint"]

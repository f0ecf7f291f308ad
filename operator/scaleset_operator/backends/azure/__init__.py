"""The Azure backend: the ``Backend`` protocol on ``azure-mgmt-compute`` (async) and ``azure-identity``.

The only package in the project that imports ``azure.*``. By concept:
``credentials`` (which credential), ``client`` (endpoint, CA bundle, timeouts, retries),
``mapping`` (DesiredModel -> scale set body), ``observation`` (scale set + VMs -> ObservedScaleSet),
``images`` ('latest' resolution), ``errors`` (SDK exceptions -> cloud.errors), ``budget``
(client-side throttling), ``lro`` (background pollers), ``stats`` (call counts for metrics),
``backend`` (the protocol methods). See docs/azure.md.
"""

from scaleset_operator.backends.azure.backend import AzureBackend
from scaleset_operator.backends.azure.budget import CallBudget
from scaleset_operator.backends.azure.client import AzureConfig
from scaleset_operator.backends.azure.credentials import CredentialConfig, StaticTokenCredential
from scaleset_operator.backends.azure.stats import CallStats

__all__ = ["AzureBackend", "AzureConfig", "CallBudget", "CallStats", "CredentialConfig", "StaticTokenCredential"]

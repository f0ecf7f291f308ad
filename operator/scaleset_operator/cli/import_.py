"""``scaleset-operator import``: write a ScaleSet manifest from a live scale set.

The manifest is the scale set's model as Azure holds it, under the spec's names (the properties
Azure returns and the ScaleSet API has; read-only fields left out), with the operator's own fields
set for a safe take-over:

- ``adopt: true`` (the scale set was not created by the operator), ``deletionPolicy: Orphan`` (an
  imported scale set outlives its ScaleSet unless you say otherwise), ``managementPolicy: Manage``
  (``--observe`` writes ``Observe``);
- ``upgradePolicy`` is the scale set's own (the operator runs it from now on and keeps the cloud scale
  set in Manual mode: a scale set in Rolling or Automatic mode gets one PUT setting Manual);
- secrets never appear: Azure returns neither the admin password nor extensions' protected
  settings, and user data only on request. The manifest references a Secret for the admin password
  and the user data (``--secret``, default ``<name>-secrets``; ``--no-secret-refs`` leaves them out:
  Azure keeps them and the operator's pushes never drop them) and says, in TODO notes at its top,
  what to put in that Secret and how to take over protected settings.

Applying the manifest is a no-op: the spec matches the scale set field by field, so the first pass
adopts it and writes nothing (tests/backends/azure/test_import.py counts the writes on both backends).

Backends: ``--backend azure`` reads the scale set with the SDK (the same flags and credentials as
``run``); ``--backend fake`` asks a running operator's simulator admin endpoint (``--sim-url``).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scaleset_operator.api.scaleset import KIND, ScaleSetSpec
from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.errors import BackendError

API_VERSION = "scaleset.dev/v1alpha1"
PASSWORD_KEY = "adminPassword"
USER_DATA_KEY = "userData"


class ImportError_(Exception):
    """The scale set cannot be imported (not found, or not expressible as a ScaleSet), with the reason."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("import", help="write a ScaleSet manifest from a live scale set")
    parser.add_argument("--subscription", required=True, help="subscription ID of the scale set")
    parser.add_argument("--resource-group", required=True)
    parser.add_argument("--name", required=True, help="the scale set's name in Azure")
    parser.add_argument("--namespace", "-n", default="default", help="namespace of the ScaleSet (default: default)")
    parser.add_argument("--resource-name", help="metadata.name of the ScaleSet (default: from --name)")
    parser.add_argument("--observe", action="store_true", help="managementPolicy Observe: read only")
    parser.add_argument("--secret", help="Secret the references name (default: <resource name>-secrets)")
    parser.add_argument("--no-secret-refs", action="store_true", help="leave the secrets to Azure (no references)")
    parser.add_argument("--output", "-o", default="-", help="file to write (default: standard output)")
    parser.add_argument("--backend", choices=["fake", "azure"], default="azure")
    parser.add_argument("--sim-url", default=None, help="fake: the simulator admin endpoint ($SCALESET_SIM_URL)")
    parser.add_argument("--azure-base-url", help="azure: ARM endpoint (default Azure public cloud)")
    parser.add_argument("--azure-ca-bundle", help="azure: CA bundle for --azure-base-url")
    parser.add_argument(
        "--azure-credential",
        choices=["default", "secret", "certificate", "managed-identity", "static"],
        help="azure: credential kind (default $SCALESET_AZURE_CREDENTIAL, else default)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    key = ScaleSetKey(args.subscription, args.resource_group, args.name)
    try:
        model, capacity = _read(args, key)
        text = render(
            key,
            model,
            capacity,
            namespace=args.namespace,
            resource_name=args.resource_name,
            observe=args.observe,
            secret=None if args.no_secret_refs else args.secret,
            secret_refs=not args.no_secret_refs,
        )
    except ImportError_ as exc:
        print(f"scaleset-operator import: {exc}", file=sys.stderr)
        return 1
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


# -- reading the scale set --------------------------------------------------------------------------


def _read(args: argparse.Namespace, key: ScaleSetKey) -> tuple[dict[str, Any], int]:
    if args.backend == "fake":
        return read_fake(args.sim_url, key)
    from scaleset_operator.backends.azure import AzureConfig, CredentialConfig

    try:
        config = AzureConfig(
            base_url=args.azure_base_url,
            ca_bundle=args.azure_ca_bundle,
            credential=CredentialConfig.from_env(kind=args.azure_credential),
        )
    except ValueError as exc:
        raise ImportError_(f"--backend azure: {exc}") from None
    return asyncio.run(read_azure(config, key))


def read_fake(url: str | None, key: ScaleSetKey) -> tuple[dict[str, Any], int]:
    """The model from a running simulator's admin endpoint (``GET /scalesets/{name}/model``)."""
    from scaleset_operator.cli.sim import DEFAULT_URL, AdminClient, SimError

    endpoint = url or os.environ.get("SCALESET_SIM_URL", DEFAULT_URL)
    query: dict[str, str | None] = {"resourceGroup": key.resource_group, "subscriptionId": key.subscription_id}
    try:
        found = AdminClient(endpoint).call("GET", f"/scalesets/{key.name}/model", query=query)
    except SimError as exc:
        raise ImportError_(str(exc)) from None
    return dict(found["model"]), int(found["capacity"])


async def read_azure(config: Any, key: ScaleSetKey, credential: Any = None) -> tuple[dict[str, Any], int]:
    """The model with one scale set GET (user data included), through the Azure backend."""
    from scaleset_operator.backends.azure import AzureBackend

    backend = AzureBackend.from_config(config, credential=credential)
    try:
        found = await backend.scale_set_model(key)
    except BackendError as exc:
        raise ImportError_(f"reading scale set {key.name}: {exc}") from None
    finally:
        await backend.close()
    if found is None:
        raise ImportError_(f"scale set {key.name} not found in resource group {key.resource_group}")
    model, capacity = found
    if model is None:
        raise ImportError_(f"scale set {key.name}: its model is not in the shape Azure documents")
    return model, capacity


# -- the manifest -------------------------------------------------------------------------------------


def resource_name(scale_set: str) -> str:
    """A Kubernetes object name (RFC 1123 subdomain) from an Azure name (letters, digits, ._-)."""
    name = re.sub(r"[^a-z0-9.-]+", "-", scale_set.lower()).strip(".-")
    return name[:253] or "scaleset"


def manifest(
    key: ScaleSetKey,
    model: dict[str, Any],
    capacity: int,
    *,
    namespace: str = "default",
    resource_name_: str | None = None,
    observe: bool = False,
    secret: str | None = None,
    secret_refs: bool = True,
) -> tuple[dict[str, Any], list[str]]:
    """The ScaleSet for the scale set ``model`` (``observed_model``), and the TODO notes for people."""
    name = resource_name_ or resource_name(key.name)
    spec = copy.deepcopy(model)
    spec["sku"] = {**spec.get("sku", {}), "capacity": capacity}
    spec["azure"] = {"subscriptionId": key.subscription_id, "resourceGroup": key.resource_group}
    if key.name != name:
        spec["azure"]["name"] = key.name
    spec["adopt"] = True
    spec["deletionPolicy"] = "Orphan"
    spec["managementPolicy"] = "Observe" if observe else "Manage"
    notes = _secrets(spec, secret or f"{name}-secrets", secret_refs)
    try:
        ScaleSetSpec.model_validate(spec)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ImportError_(
            f"scale set {key.name} cannot be written as a ScaleSet ({details}); docs/api-coverage.md lists "
            "what the ScaleSet API does not cover"
        ) from None
    metadata = {"name": name, "namespace": namespace}
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata, "spec": _ordered(spec)}, notes


FIRST = ("location", "azure", "sku", "tags", "orchestrationMode", "zones", "platformFaultDomainCount")
LAST = ("upgradePolicy", "virtualMachineProfile", "adopt", "managementPolicy", "deletionPolicy")


def _ordered(spec: dict[str, Any]) -> dict[str, Any]:
    """Where people look first: where it is, its size and its kind; then the settings; the VM profile
    and the operator's own fields last."""
    middle = [k for k in spec if k not in FIRST and k not in LAST]
    return {k: spec[k] for k in (*FIRST, *middle, *LAST) if k in spec}


def _secrets(spec: dict[str, Any], secret: str, refs: bool) -> list[str]:
    """References in place of the secrets Azure holds (never their values), and what to do about them."""
    profile = spec["virtualMachineProfile"]
    os_profile = profile.get("osProfile", {})
    notes: list[str] = []
    password = "adminUsername" in os_profile and not (
        (os_profile.get("linuxConfiguration") or {}).get("disablePasswordAuthentication", False)
    )
    if password and refs:
        os_profile["adminPasswordSecretRef"] = {"name": secret, "key": PASSWORD_KEY}
        notes.append(
            f"create Secret {secret} with key {PASSWORD_KEY}: the admin password the scale set has "
            "(Azure never returns it; the operator pushes it again only when the Secret changes)"
        )
    elif password:
        notes.append("the admin password stays as Azure holds it; add osProfile.adminPasswordSecretRef to manage it")
    if profile.pop(USER_DATA_KEY, None) is not None:
        if refs:
            profile["userDataSecretRef"] = {"name": secret, "key": USER_DATA_KEY}
            notes.append(
                f"put the scale set's user data in Secret {secret}, key {USER_DATA_KEY} (base64, as "
                "`az vmss show --expand userData --query virtualMachineProfile.userData` prints it)"
            )
        else:
            notes.append(
                "the user data stays as Azure holds it (kept by every push); set userData or "
                "userDataSecretRef to manage it"
            )
    extensions = [e.get("name") for e in (profile.get("extensionProfile") or {}).get("extensions", [])]
    if extensions:
        notes.append(
            f"extensions {', '.join(map(str, extensions))}: protected settings are never returned; Azure "
            "keeps them (and so does every push); add protectedSettingsSecretRef to manage them"
        )
    return notes


def render(key: ScaleSetKey, model: dict[str, Any], capacity: int, **options: Any) -> str:
    """The manifest as YAML, the TODO notes as comments on top."""
    name = options.pop("resource_name", None)
    document, notes = manifest(key, model, capacity, resource_name_=name, **options)
    header = [
        f"# Imported from scale set {key.name} (resource group {key.resource_group}, subscription "
        f"{key.subscription_id}) by scaleset-operator import.",
        "# adopt: true takes it over; applying this manifest writes nothing to Azure while the spec matches.",
    ]
    header += [f"# TODO: {note}" for note in notes]
    return "\n".join(header) + "\n" + yaml.safe_dump(document, sort_keys=False)

"""An offline password-guessing attack on what a ScaleSet reader can see (issue 16, item 1).

A reader of a ScaleSet (``kubectl get``/``describe``: spec, status, Events), of the cloud scale
set (its tags), or of the operator's logs has no access to the Secret. If anything they see is an
unkeyed function of the password, they can confirm a guess offline. ``confirmed`` tries, for one
guess, every such function we can think of against the visible text:

- the guess itself, and its base64;
- plain digests of the guess (md5, sha1, sha256, sha512, blake2b), alone or with the prefixes the
  operator used for its legacy fingerprints, as hex, whole or truncated to 12 or 16 digits (8
  would match random hex by chance);
- the legacy scheme end to end: the model hash and the OS profile fingerprint of the visible spec
  with the guessed password, fingerprinted the way earlier versions did.

A test must show both sides: the attack confirms the password against what the legacy scheme shows
(so the attack works and the test can fail), and confirms nothing against what the operator shows
now.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cloud.desired import desired_model
from scaleset_operator.cloud.secrets import ADMIN_PASSWORD, LEGACY_FINGERPRINTS, HashKey

_PREFIXES = (b"", b"scaleset.dev/password\0", f"scaleset.dev/secret\0{ADMIN_PASSWORD}\0".encode())
_DIGESTS = ("md5", "sha1", "sha256", "sha512", "blake2b")
_THROWAWAY_KEY = HashKey(b"\x00" * 32)
"""Only to build the guessed model; its keyed hashes are not candidates (an attacker has no key)."""


def wordlist(actual: str, size: int) -> list[str]:
    """``size`` plausible guesses around ``actual`` (case, digits, suffixes), then ``actual`` itself."""
    stems = [actual[:-1], actual.lower(), actual.upper(), actual + "1", "P@ssw0rd", "Sup3r-Secret"]
    guesses = [f"{stems[n % len(stems)]}{n}" for n in range(size)]
    return [g for g in guesses if g != actual] + [actual]


def _plain_candidates(guess: str) -> Iterator[str]:
    yield guess
    yield base64.b64encode(guess.encode()).decode()
    for prefix in _PREFIXES:
        for name in _DIGESTS:
            digest = hashlib.new(name, prefix + guess.encode()).hexdigest()
            yield from (digest, digest[:12], digest[:16])


def _legacy_candidates(guess: str, spec: ScaleSetSpec, secrets: dict[str, Any]) -> Iterator[str]:
    model = desired_model(spec, secrets={**secrets, ADMIN_PASSWORD: guess}, fingerprints=_THROWAWAY_KEY)
    legacy = model.fingerprinted(LEGACY_FINGERPRINTS)
    yield legacy.model_hash()
    yield legacy.os_profile_fingerprint()
    if legacy.password_fingerprint is not None:
        yield legacy.password_fingerprint


def candidates(guess: str, spec: ScaleSetSpec, other_secrets: dict[str, Any] | None = None) -> set[str]:
    """Every unkeyed value derived from ``guess`` that a reader could look for."""
    return {*_plain_candidates(guess), *_legacy_candidates(guess, spec, other_secrets or {})}


def confirmed(guesses: Iterable[str], spec: ScaleSetSpec, visible: str, **kwargs: Any) -> list[str]:
    """The guesses whose candidates appear anywhere in ``visible`` (the reader's whole view, as text)."""
    return [g for g in guesses if any(c in visible for c in candidates(g, spec, **kwargs))]

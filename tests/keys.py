"""The installation hash key the in-process tests use (``cloud/secrets.py``): fixed, so hashes are
stable within and across test modules; never an unkeyed default."""

from __future__ import annotations

from scaleset_operator.cloud.secrets import HashKey

TEST_KEY = HashKey(bytes(range(32)))

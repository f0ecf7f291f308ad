"""Thin kopf handlers: they hand objects to the reconciler and post Events; no policy here.

Importing this package registers the handlers with kopf's default registry.
"""

from scaleset_operator.handlers import scaleset, settings

__all__ = ["scaleset", "settings"]

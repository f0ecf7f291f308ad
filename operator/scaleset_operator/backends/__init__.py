"""Backends: where scale sets actually live. ``protocol.Backend`` is the contract; ``fake`` runs
the in-process simulator, ``azure`` talks to Azure (or the ARM-compatible simulator endpoint)."""

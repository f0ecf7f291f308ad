"""The vocabulary shared by the planner and the backends: what is sent to a cloud scale set
(``desired``), what is read back from it (``observed``), and how a backend call fails (``errors``).

Pure data, no I/O: the planner imports it, and so do both backends.
"""

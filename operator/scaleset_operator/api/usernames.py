"""Admin user names Azure refuses (shared by the CEL rules and ``cloud/refusals.py``)."""

from __future__ import annotations

RESERVED_ADMIN_USERNAMES = frozenset(
    {
        "administrator", "admin", "user", "user1", "test", "user2", "test1", "user3", "admin1", "1", "123", "a",
        "actuser", "adm", "admin2", "aspnet", "backup", "console", "david", "guest", "john", "owner", "root",
        "server", "sql", "support", "support_388945a0", "sys", "test2", "test3", "user4", "user5",
    }
)  # fmt: skip
"""VirtualMachineScaleSetOSProfile.adminUsername, "Disallowed values" (Compute REST spec, compared
case-insensitively as the Azure CLI does)."""

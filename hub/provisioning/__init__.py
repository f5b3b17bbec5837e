"""Vendor support's provisioning: hubs with their first admin, hub users, bulk tenant import.

The ``flask hub`` commands (:mod:`hub.cli`) are thin wrappers around these functions; every step is
audited as ``provision.*`` in the same transaction as the change.
"""

from hub.provisioning.accounts import (
    ProvisioningError,
    create_hub,
    create_hub_user,
    initial_password,
    unlock_account,
)
from hub.provisioning.tenant_import import ImportReport, ImportRow, import_tenants, read_tenant_csv

__all__ = [
    "ImportReport",
    "ImportRow",
    "ProvisioningError",
    "create_hub",
    "create_hub_user",
    "import_tenants",
    "initial_password",
    "read_tenant_csv",
    "unlock_account",
]

"""The tenant-admin review: a tenant's third-party activity, per staff member, and the seat check.

Registered by :func:`hub.activity.init_activity`; every page is confined to the tenant admin's own
tenant (``User.tenant_id``) through :class:`hub.activity.filters.Scope`.
"""

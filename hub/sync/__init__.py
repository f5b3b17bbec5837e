"""Audit trail sync: pull every tenant's Audit Report into the hub, incrementally and exactly once.

``models`` holds the hub's copy of the events, the per-tenant service credential and sync state;
``accounts`` sets the service credential; ``claims`` hands tenants to workers under a lease;
``service`` pulls one tenant page by page; ``worker`` runs passes concurrently; ``cli`` exposes them.
"""

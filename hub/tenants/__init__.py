"""The tenant registry, Billing credentials and the access levels that decide who uses which."""

"""Hubs (one per billing company), their users and roles."""

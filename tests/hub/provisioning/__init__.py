"""Tests of support's provisioning services."""

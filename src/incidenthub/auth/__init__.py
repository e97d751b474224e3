"""Tenants, API keys and scopes."""

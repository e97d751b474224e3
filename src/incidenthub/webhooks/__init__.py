"""Webhooks: endpoints a tenant registers, and the worker that delivers its outbox events to them, signed."""

"""Sonoran CAD calls: per-tenant integer call ids and servers, on top of canonical incidents and dispatch."""

"""Sety access control: sites, access codes, gate validation, the visitor log and its statistics."""

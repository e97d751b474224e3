"""NENA EIDO (NENA-STA-021.1): an incident as an Emergency Incident Data Object, exported and imported."""

SOURCE = "eido"

"""One package per vendor door: pure mapping between the vendor's payloads and canonical commands."""

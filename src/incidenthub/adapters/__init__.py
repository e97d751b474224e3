"""The doors: each maps a vendor's payloads onto canonical commands and the canonical record back."""

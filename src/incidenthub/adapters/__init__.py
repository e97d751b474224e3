"""The doors: each vendor's wire format mapped onto the canonical incident."""

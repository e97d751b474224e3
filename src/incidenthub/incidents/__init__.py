"""The canonical incident: create, read, list, notes, lifecycle."""

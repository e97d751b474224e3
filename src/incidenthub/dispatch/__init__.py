"""Units, personnel, assignments and unit status."""

"""Pages of the cases system."""

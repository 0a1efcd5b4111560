"""bigcats.intake."""

"""bigcats.store."""

"""bigcats.census."""

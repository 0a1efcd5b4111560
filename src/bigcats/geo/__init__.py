"""bigcats.geo."""

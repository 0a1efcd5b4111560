"""bigcats.taxonomy."""

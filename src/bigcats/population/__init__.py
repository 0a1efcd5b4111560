"""bigcats.population."""

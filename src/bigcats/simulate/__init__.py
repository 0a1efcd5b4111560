"""bigcats.simulate."""

"""bigcats.exchange."""

"""bigcats.analysis."""

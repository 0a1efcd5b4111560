"""bigcats.identify."""

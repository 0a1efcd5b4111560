"""The partner formats that `bigcats ingest` reads (a constant of its own, so the CLI's help needs no reader)."""

FORMATS = ("images", "camtrapr", "wildinsights", "megadetector", "speciesnet", "camtrapdp", "table")

"""bigcats: transboundary monitoring of Amur tigers, Amur leopards and snow leopards."""

__version__ = "0.1.0"

"""One species list for the region in four languages, and the partners' label maps onto it."""

from bigcats.taxonomy.labels import LabelResolution, TaxonomyError, normalise, read_label_map, resolve_labels
from bigcats.taxonomy.species import observation_type, sensitive_names, species_table

__all__ = [
    "LabelResolution", "TaxonomyError", "normalise", "observation_type", "read_label_map", "resolve_labels",
    "sensitive_names", "species_table",
]

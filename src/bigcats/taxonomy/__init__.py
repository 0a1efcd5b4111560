"""One species list for the region in four languages, and the partners' label maps onto it.

Names are imported on first use (PEP 562), so that importing one light submodule (errors, a constant) does
not load pandas, SciPy or GeoPandas for every command of the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bigcats._lazy import lazy_exports

_WHERE = {
    "LabelResolution": "bigcats.taxonomy.labels",
    "TaxonomyError": "bigcats.taxonomy.labels",
    "normalise": "bigcats.taxonomy.labels",
    "read_label_map": "bigcats.taxonomy.labels",
    "resolve_labels": "bigcats.taxonomy.labels",
    "observation_type": "bigcats.taxonomy.species",
    "sensitive_names": "bigcats.taxonomy.species",
    "species_table": "bigcats.taxonomy.species",
}

if TYPE_CHECKING:
    from bigcats.taxonomy.labels import LabelResolution, TaxonomyError, normalise, read_label_map, resolve_labels
    from bigcats.taxonomy.species import observation_type, sensitive_names, species_table

__all__ = [
    "LabelResolution", "TaxonomyError", "normalise", "observation_type", "read_label_map", "resolve_labels",
    "sensitive_names", "species_table",
]


lazy_exports(__name__, _WHERE)

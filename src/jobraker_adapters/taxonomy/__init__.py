"""The skills taxonomy and O*NET job titles shipped with Jobraker, as core domain objects.

Data: O*NET 29.2 (USDOL/ETA, CC BY 4.0), ESCO (European Commission) and curated synonyms; see
``data/NOTICE.md``. Regenerate with ``scripts/build_taxonomy.py``.
"""

from jobraker_adapters.taxonomy.loader import (
    load_skill_extractor,
    load_taxonomy,
    load_title_normaliser,
    parse_skills,
    parse_titles,
    taxonomy_version,
)

__all__ = [
    "load_skill_extractor",
    "load_taxonomy",
    "load_title_normaliser",
    "parse_skills",
    "parse_titles",
    "taxonomy_version",
]

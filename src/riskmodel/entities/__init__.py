"""Entity resolution: link the people named in every table to residents of the register.

The matching engine (``engine``) is generic over declared comparisons (``comparisons``);
``people`` declares the person references, comparisons and blocking rules of riskmodel's
tables.
"""

from riskmodel.entities.comparisons import COMPARATORS, Comparator, Comparison
from riskmodel.entities.engine import candidate_pairs, link_records, score_pairs, select_links
from riskmodel.entities.normalise import name_pinyin, normalise_name
from riskmodel.entities.people import (
    CROSSWALK_COLUMNS,
    PERSON_BLOCKING,
    PERSON_COMPARISONS,
    PERSON_REFERENCES,
    attach_person_ids,
    data_quality_findings,
    register_frame,
    resolve_people,
)

__all__ = [
    "COMPARATORS",
    "CROSSWALK_COLUMNS",
    "PERSON_BLOCKING",
    "PERSON_COMPARISONS",
    "PERSON_REFERENCES",
    "Comparator",
    "Comparison",
    "attach_person_ids",
    "candidate_pairs",
    "data_quality_findings",
    "link_records",
    "name_pinyin",
    "normalise_name",
    "register_frame",
    "resolve_people",
    "score_pairs",
    "select_links",
]

"""When two cases are likely the same matter: the rules intake suggests duplicates by.

Two ways a new case may repeat one still open: the same service reported at (nearly) the same
place, or the same customer writing about (nearly) the same thing. Pure rules: the read model
(projections/duplicate_candidates.py) narrows candidates with a bounding box in SQL, and the
application (application/duplicates.py) judges each with these functions, so SQLite and
PostgreSQL suggest exactly the same cases.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

# Two reports of one pothole, streetlight or fallen tree are rarely further apart than a
# resident's phone places them (GPS in town: within about 10-30 metres).
NEARBY_METRES = 50.0
# A mean Earth radius (IUGG), the haversine's sphere: within 0.5% of the ellipsoid at 44 N,
# a quarter metre at 50 m.
EARTH_RADIUS_METRES = 6_371_008.8
# Token-sorted subjects at least this alike (0-1, `subject_similarity`) are suggested.
SIMILAR_SUBJECTS = 0.6
MAX_SUGGESTIONS = 10
_WORD = re.compile(r"[^\W_]+")
# Words that say nothing about the matter (kept short: "street" vs "st" is left to the ratio).
_FILLER = frozenset({"a", "an", "and", "at", "for", "in", "is", "of", "on", "the", "to",
                     "my", "our", "re", "fwd", "fw"})


class DuplicateReason(StrEnum):
    NEARBY = "same_service_nearby"
    SIMILAR_SUBJECT = "same_customer_similar_subject"


@dataclass(frozen=True)
class BoundingBox:
    """Latitudes and longitudes (degrees) holding every point within a distance of a centre:
    a prefilter an index can answer; the haversine decides."""

    south: float
    north: float
    west: float
    east: float


def distance_metres(lat1: float, long1: float, lat2: float, long2: float) -> float:
    """The great-circle distance between two points (degrees), by the haversine formula."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(long2 - long1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(lat: float, long: float, metres: float = NEARBY_METRES) -> BoundingBox:
    """A box a little larger than the circle of `metres` around (lat, long): a degree of
    latitude is the same length everywhere; one of longitude shrinks by cos(latitude)."""
    d_lat = math.degrees(metres / EARTH_RADIUS_METRES) * 1.01
    d_long = d_lat / max(math.cos(math.radians(lat)), 1e-6)
    return BoundingBox(south=lat - d_lat, north=lat + d_lat, west=long - d_long,
                       east=long + d_long)


def is_nearby(lat1: float, long1: float, lat2: float, long2: float) -> bool:
    return distance_metres(lat1, long1, lat2, long2) <= NEARBY_METRES


def subject_words(subject: str) -> list[str]:
    """A subject's words, lower case, filler left out, sorted: word order does not matter
    ("King St pothole" is "Pothole on King St")."""
    return sorted({w for w in _WORD.findall(subject.casefold()) if w not in _FILLER})


def subject_similarity(first: str, second: str) -> float:
    """How alike two subjects are, 0 (nothing shared) to 1 (the same words): the
    Ratcliff/Obershelp ratio (difflib) of their sorted words, so a typo or an abbreviation
    costs a little and a different matter a lot."""
    a, b = " ".join(subject_words(first)), " ".join(subject_words(second))
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def are_similar_subjects(first: str, second: str) -> bool:
    return subject_similarity(first, second) >= SIMILAR_SUBJECTS

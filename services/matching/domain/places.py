"""Where postcode areas lie, and how near a supporter works to a resident (pure: the table is given).

The service reads the region's table once at start (:mod:`services.matching.postcodes`) and hands it
in; without one (:data:`NO_PLACES`) distances fall back to the numeric difference of the postcodes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: Numeric postcodes this far apart (or further) score 0 on distance: the fallback proxy.
DISTANCE_SCALE = 100
#: Kilometres at which the distance score reaches 0 (the demo region is about 25 km across).
DISTANCE_KM_SCALE = 20.0
#: Kilometres per degree of latitude and of longitude around 51.85° N (flat-earth approximation).
KM_PER_DEGREE_LAT = 111.25
KM_PER_DEGREE_LON = 68.75


@dataclass(frozen=True)
class Places:
    """Approximate centroids (latitude, longitude) of 4-digit postcode areas, by postcode number."""

    centroids: Mapping[int, tuple[float, float]] = field(default_factory=dict)

    def coords(self, postcode: int | None) -> tuple[float, float] | None:
        return self.centroids.get(postcode) if postcode is not None else None

    def km(self, here: int, there: int) -> float | None:
        """Approximate kilometres between two areas, or None when either is not in the table."""
        a, b = self.coords(here), self.coords(there)
        if a is None or b is None:
            return None
        dy = (a[0] - b[0]) * KM_PER_DEGREE_LAT
        dx = (a[1] - b[1]) * KM_PER_DEGREE_LON
        return math.sqrt(dy * dy + dx * dx)

    def lat_lon(self, postcode: int | None) -> tuple[float, float]:
        """The centroid, or NaNs when unknown (what :func:`distance_values` expects)."""
        found = self.coords(postcode)
        return found if found is not None else (math.nan, math.nan)


#: No table: every distance uses the numeric postcode proxy.
NO_PLACES = Places()


def distance_values(here: int | I64, lat: float | F64, lon: float | F64, there: I64, lats: F64, lons: F64) -> F64:
    """Closeness in [0, 1]: by approximate kilometres where both areas are in the table, else by the
    numeric difference of the postcodes (a rough proxy), else 0.5 (unknown).

    Broadcasts (a column of questions against a row of supporters gives a matrix). Postcodes are -1
    when unknown, coordinates NaN when not in the table.
    """
    dy = (lats - lat) * KM_PER_DEGREE_LAT
    dx = (lons - lon) * KM_PER_DEGREE_LON
    km = np.sqrt(dy * dy + dx * dx)
    by_km = np.maximum(0.0, 1.0 - km / DISTANCE_KM_SCALE)
    by_number = np.maximum(0.0, 1.0 - np.abs(there - here) / DISTANCE_SCALE)
    values = np.where(np.isnan(km), by_number, by_km)
    result: F64 = np.where((np.asarray(there) < 0) | (np.asarray(here) < 0), 0.5, values)
    return result

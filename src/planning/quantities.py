"""How planning quantities are rounded, in one place.

Quantities travel in Float64 frames. To keep them exact for the sizes a plant plans
(below 10**9 units with at most six decimals), every quantity the MRP derives is
snapped to the grid of ``QUANTITY_DECIMALS`` decimals (1e-6 of a unit) right after it is
computed: a dependent requirement ``release x quantity_per`` is rounded half-to-even to
that grid, and sums and differences of grid values are snapped again, so float noise
never accumulates. Order quantities are then rounded *up* to the item's ``precision``
(decimals its unit of measure allows; 0 means whole units), so a planned order never
falls short of a requirement. The naive reference MRP does the same arithmetic with
exact fractions, and the property tests compare the two to the last decimal.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

QUANTITY_DECIMALS = 6
MAX_PRECISION = 6

FloatArray = npt.NDArray[np.float64]


def snap(values: FloatArray) -> FloatArray:
    """Round to the quantity grid (1e-6 of a unit), removing float noise."""
    return np.round(values, QUANTITY_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def ceil_to_precision(values: FloatArray, precision: npt.NDArray[np.int64] | int) -> FloatArray:
    """Round up to ``precision`` decimals; values are first snapped to the grid."""
    scale = np.power(10.0, precision)
    scaled = np.round(snap(values) * scale, QUANTITY_DECIMALS)
    return snap(np.ceil(scaled) / scale)


def round_to_precision(values: FloatArray, precision: npt.NDArray[np.int64] | int) -> FloatArray:
    """Round half up to ``precision`` decimals (used for economic quantities, not requirements)."""
    scale = np.power(10.0, precision)
    scaled = np.round(snap(values) * scale, QUANTITY_DECIMALS)
    return snap(np.floor(scaled + 0.5) / scale)

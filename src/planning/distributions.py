"""Demand distributions and their loss functions, shared by the stochastic inventory models.

* Normal: ``normal_loss(z) = phi(z) - z (1 - Phi(z))`` is the standard normal loss function
  G(z) = E[(Z - z)+]; for X ~ N(mu, sigma), E[(X - x)+] = sigma G((x - mu) / sigma).
* Poisson: ``poisson_loss(r, lam) = E[(D - r)+] = lam P(D >= r) - r P(D > r)``.
* ``discretised_normal``: a normal demand per period as a pmf on 0, step, 2 step, ...
  (mass of (k - 1/2, k + 1/2] steps, everything at or below 1/2 step on 0), for the
  exact discrete-demand algorithms.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from scipy import optimize, stats

from planning.quantities import FloatArray


class Distribution(StrEnum):
    NORMAL = "normal"
    POISSON = "poisson"


def normal_loss(z: FloatArray | float) -> FloatArray:
    z = np.asarray(z, dtype=np.float64)
    result: FloatArray = stats.norm.pdf(z) - z * stats.norm.sf(z)
    return result


def normal_loss_inverse(target: float) -> float:
    """The z with G(z) = target (G decreases from +inf to 0)."""
    if target <= 0:
        raise ValueError("the normal loss is positive everywhere")
    low, high = -10.0, 10.0
    while float(normal_loss(low)) < target:
        low *= 2
    return float(optimize.brentq(lambda z: float(normal_loss(z)) - target, low, high, xtol=1e-12))


def poisson_loss(r: FloatArray | float, lam: float) -> FloatArray:
    r = np.asarray(r, dtype=np.float64)
    result: FloatArray = lam * stats.poisson.sf(r - 1, lam) - r * stats.poisson.sf(r, lam)
    return result


def poisson_support(lam: float, tail: float = 1e-12) -> FloatArray:
    """0..k covering all but ``tail`` of the Poisson(lam) mass."""
    top = int(stats.poisson.isf(tail, lam)) + 1 if lam > 0 else 0
    return np.arange(top + 1, dtype=np.float64)


def discretised_normal(
    mean: float, std: float, step: float = 1.0, tail: float = 1e-12
) -> FloatArray:
    """pmf on 0, step, 2 step, ... of a normal demand rounded to the nearest step (>= 0)."""
    if std <= 0:
        k = max(0, round(mean / step))
        pmf = np.zeros(k + 1)
        pmf[k] = 1.0
        return pmf
    top = max(1, int(np.ceil((mean + stats.norm.isf(tail) * std) / step)) + 1)
    edges = (np.arange(top + 1) + 0.5) * step
    cdf = stats.norm.cdf(edges, mean, std)
    pmf = np.diff(np.r_[0.0, cdf])
    pmf[-1] += 1.0 - cdf[-1]
    result: FloatArray = pmf / pmf.sum()
    return result

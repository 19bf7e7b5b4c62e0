"""Tail probabilities of counts (pure stdlib): negative binomial and binomial.

The detector treats a bucket, or the sum of a window of buckets, as a count
with a seasonal expected value ``mean`` and an over-dispersion ``alpha``
learned per brand: variance = mean + alpha * mean**2 (the negative binomial,
or Poisson-gamma mixture; alpha = 0 is the Poisson). Surprise is the upper
tail in bits: ``-log2 P(X >= observed)``, so 20 bits is a one-in-a-million
event whatever the brand's volume.
"""

from __future__ import annotations

import math

_LN2 = math.log(2.0)
# Terms summed exactly before the rest of the tail is taken as geometric.
_TERMS = 40
# Below this dispersion (or above this shape) the Poisson is used.
_POISSON_ALPHA = 1e-7


def _tail_from(log_first: float, ratio, x: int) -> float:
    """log P(X >= x) from log P(X = x) and ratio(k) = P(k+1)/P(k) (decreasing
    towards the tail): the first terms exactly, the rest as a geometric series."""
    total, term = 1.0, 1.0
    k = x
    r = 0.0
    for _ in range(_TERMS):
        r = ratio(k)
        term *= r
        total += term
        k += 1
        if term < 1e-12 * total:
            return log_first + math.log(total)
    if r < 1.0:
        total += term * r / (1.0 - r)
    return log_first + math.log(total)


def nb_log_pmf(x: int, mean: float, alpha: float) -> float:
    if alpha < _POISSON_ALPHA:
        return x * math.log(mean) - mean - math.lgamma(x + 1)
    r = 1.0 / alpha
    return (
        math.lgamma(x + r)
        - math.lgamma(r)
        - math.lgamma(x + 1)
        + r * math.log(r / (r + mean))
        + x * math.log(mean / (r + mean))
    )


def nb_surprise(x: int, mean: float, alpha: float, log_pmf: float | None = None) -> float:
    """-log2 P(X >= x) for X ~ NB(mean, alpha); 0 when x is at or below the mean.
    log_pmf: nb_log_pmf(x, mean, alpha) if the caller has it already (mean >= 1e-9)."""
    mean = max(mean, 1e-9)
    if x <= mean:
        return 0.0
    # (the tail of _tail_from, inline: the detector calls this for every
    # surprising window, and a call per term is most of its cost)
    poisson = alpha < _POISSON_ALPHA
    r = 0.0 if poisson else 1.0 / alpha
    q = 0.0 if poisson else mean / (r + mean)
    total, term = 1.0, 1.0
    k = x
    ratio = 0.0
    for _ in range(_TERMS):
        ratio = mean / (k + 1) if poisson else (k + r) / (k + 1) * q
        term *= ratio
        total += term
        k += 1
        if term < 1e-12 * total:
            break
    else:
        if ratio < 1.0:
            total += term * ratio / (1.0 - ratio)
    if log_pmf is None:
        log_pmf = nb_log_pmf(x, mean, alpha)
    log_tail = log_pmf + math.log(total)
    return max(0.0, -log_tail / _LN2)


def binomial_surprise(k: int, n: int, p: float) -> float:
    """-log2 P(K >= k) for K ~ Binomial(n, p); 0 when k is at or below n*p."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    if k <= n * p:
        return 0.0
    if k > n:
        return float("inf")
    log_first = (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log(1 - p)
    )
    odds = p / (1 - p)

    def ratio(j):
        return (n - j) / (j + 1) * odds if j < n else 0.0

    return max(0.0, -_tail_from(log_first, ratio, k) / _LN2)


def betabinomial_surprise(k: int, n: int, p: float, rho: float) -> float:
    """-log2 P(K >= k) for K ~ BetaBinomial(n, p, rho): a binomial whose share p
    itself varies (a Beta with mean p and intra-class correlation rho), so
    Var K = n p (1 - p) (1 + (n - 1) rho). rho = 0 is the binomial. 0 when k
    is at or below n*p. The share of negative posts swings from day to day;
    with thousands of posts in a window that swing, not the binomial's
    sampling noise, is what a normal day looks like."""
    if rho < 1e-9:
        return binomial_surprise(k, n, p)
    p = min(max(p, 1e-6), 1 - 1e-6)
    if k <= n * p:
        return 0.0
    if k > n:
        return float("inf")
    s = 1.0 / min(rho, 0.999) - 1.0
    a, b = p * s, (1.0 - p) * s
    lg = math.lgamma
    log_first = (
        lg(n + 1)
        - lg(k + 1)
        - lg(n - k + 1)
        + lg(k + a)
        + lg(n - k + b)
        - lg(n + a + b)
        - lg(a)
        - lg(b)
        + lg(a + b)
    )
    # (summed exactly to n: with a small a the terms need not fall geometrically)
    total, term = 1.0, 1.0
    for j in range(k, n):
        term *= (n - j) * (j + a) / ((j + 1) * (n - j - 1 + b))
        total += term
        if term < 1e-12 * total:
            break
    return max(0.0, -(log_first + math.log(total)) / _LN2)

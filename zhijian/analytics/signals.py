"""Signal detection over counts: CUSUM, EWMA, Farrington (flexible, Noufaily 2012), PRR and ROR.

Pure numpy/scipy, no Django. Every threshold is a parameter (the app stores them as data).
Formulas, defaults and what was checked against what: docs/risk-methods.md.

* ``cusum``: S_t = max(0, S_{t−1} + (x_t − μ0)/σ − k), alarm when S_t > h.
* ``ewma``: z_t = λ x_t + (1 − λ) z_{t−1} (z_0 = μ0 unless given), alarm when
  z_t > μ0 + L σ √(λ/(2 − λ) · [1 − (1 − λ)^{2t}]).
* ``farrington_flexible``: the algorithm of R ``surveillance::farringtonFlexible``
  (version 1.20.3), with the Noufaily et al. (2012) settings as defaults; the quasi-Poisson
  GLM is fitted by IRLS here (as R's ``glm.fit`` does it), so statsmodels is not needed.
  Compared against the package's output on fixed series (zhijian/analytics/tests/data/,
  produced by scripts/surveillance_vectors.R).
* ``prr`` / ``ror``: disproportionality of a product × hazard pair in a 2 × 2 table
  (a: this product & this hazard, b: this product & other hazards, c: other products &
  this hazard, d: other products & other hazards). PRR signal as Evans et al. (2001):
  PRR ≥ 2, χ² (with Yates' correction) ≥ 4, a ≥ 3.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

# --------------------------------------------------------------------------- CUSUM / EWMA


@dataclass(frozen=True)
class ChartResult:
    statistic: np.ndarray
    threshold: np.ndarray
    alarm: np.ndarray


def _series(x, name="x"):
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} has missing or infinite values")
    return x


def _broadcast(value, n, name, positive=False):
    v = np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()
    if not np.all(np.isfinite(v)) or (positive and np.any(v <= 0)):
        raise ValueError(f"{name} must be finite" + (" and positive" if positive else ""))
    return v


def cusum(x, mu0, sigma, k=0.5, h=4.0, s0=0.0) -> ChartResult:
    """Upper one-sided CUSUM of standardised counts; ``mu0``/``sigma`` scalars or per-time arrays."""
    x = _series(x)
    n = len(x)
    z = (x - _broadcast(mu0, n, "mu0")) / _broadcast(sigma, n, "sigma", positive=True)
    s = np.empty(n)
    prev = float(s0)
    for t in range(n):
        prev = max(0.0, prev + z[t] - k)
        s[t] = prev
    threshold = np.full(n, float(h))
    return ChartResult(s, threshold, s > threshold)


def ewma(x, mu0, sigma, lam=0.2, L=3.0, z0=None) -> ChartResult:
    """EWMA with the exact (time-varying) upper control limit; ``mu0``/``sigma`` scalar."""
    if not 0 < lam <= 1:
        raise ValueError("lam must be in (0, 1]")
    if not (math.isfinite(mu0) and math.isfinite(sigma) and sigma > 0):
        raise ValueError("mu0 must be finite and sigma finite and positive")
    x = _series(x)
    n = len(x)
    z = np.empty(n)
    prev = float(mu0 if z0 is None else z0)
    for t in range(n):
        prev = lam * x[t] + (1 - lam) * prev
        z[t] = prev
    t = np.arange(1, n + 1)
    threshold = mu0 + L * sigma * np.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * t)))
    return ChartResult(z, threshold, z > threshold)


# --------------------------------------------------------------------------- PRR / ROR


@dataclass(frozen=True)
class PRRResult:
    prr: float
    chi2: float
    ci_low: float
    ci_high: float
    signal: bool


@dataclass(frozen=True)
class RORResult:
    ror: float
    ci_low: float
    ci_high: float
    signal: bool


def _cells(a, b, c, d):
    cells = []
    for name, v in zip("abcd", (a, b, c, d)):
        if isinstance(v, bool) or int(v) != v or v < 0:
            raise ValueError(f"{name} must be a count (a non-negative integer), got {v!r}")
        cells.append(int(v))
    return cells


def chi_square_2x2(a, b, c, d, yates=True) -> float:
    """Pearson's χ² of a 2 × 2 table, with Yates' correction by default (as scipy's
    ``chi2_contingency``: the correction never takes |ad − bc| below 0)."""
    a, b, c, d = _cells(a, b, c, d)
    n = a + b + c + d
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        return math.nan
    diff = abs(a * d - b * c)
    if yates:
        diff = max(0.0, diff - n / 2)
    return n * diff**2 / margins


def prr(a, b, c, d, *, min_prr=2.0, min_chi2=4.0, min_a=3, yates=True, z=1.96) -> PRRResult:
    """PRR = [a/(a+b)] / [c/(c+d)], 95 % CI log-normal with
    SE(ln PRR) = √(1/a − 1/(a+b) + 1/c − 1/(c+d)); signal when PRR ≥ min_prr, χ² ≥ min_chi2
    and a ≥ min_a (Evans et al. 2001)."""
    a, b, c, d = _cells(a, b, c, d)
    if a + b == 0 or c + d == 0:
        value = math.nan
    elif c == 0:
        value = math.inf if a > 0 else math.nan
    else:
        value = (a * (c + d)) / (c * (a + b))     # one rounding: PRR exactly 2 stays 2
    if a > 0 and c > 0:
        se = math.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
        low, high = value * math.exp(-z * se), value * math.exp(z * se)
    else:
        low = high = math.nan
    chi2 = chi_square_2x2(a, b, c, d, yates=yates)
    signal = bool(a >= min_a and value >= min_prr and chi2 >= min_chi2)   # nan compares False
    return PRRResult(value, chi2, low, high, signal)


def ror(a, b, c, d, *, z=1.96, min_a=3, min_ci_low=1.0, haldane=False) -> RORResult:
    """ROR = ad/bc with the log-normal CI, SE(ln ROR) = √(1/a + 1/b + 1/c + 1/d); signal when
    the lower bound exceeds ``min_ci_low`` and a ≥ ``min_a``. With ``haldane`` 0.5 is added to
    every cell when one is 0 (otherwise such a table gives nan/inf and no signal)."""
    a, b, c, d = _cells(a, b, c, d)
    n_a = a
    if haldane and 0 in (a, b, c, d):
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    if 0 in (a, b, c, d):
        value = (a * d) / (b * c) if b * c else (math.inf if a * d else math.nan)
        return RORResult(value, math.nan, math.nan, False)
    value = (a * d) / (b * c)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    low, high = value * math.exp(-z * se), value * math.exp(z * se)
    return RORResult(value, low, high, bool(n_a >= min_a and low > min_ci_low))


# --------------------------------------------------------------------------- Farrington


@dataclass(frozen=True)
class FarringtonResult:
    """Per evaluated week (``index``: 0-based positions in the input)."""
    index: np.ndarray
    observed: np.ndarray
    upperbound: np.ndarray      # nan where too few recent cases (limit54) or no fit
    expected: np.ndarray        # exp(η0); nan as upperbound
    alarm: np.ndarray           # bool
    score: np.ndarray           # (y − η0)/(U − η0), as surveillance computes it
    pvalue: np.ndarray          # P(Y ≥ y) under the fitted negative binomial / Poisson
    phi: np.ndarray             # overdispersion (≥ 1)
    trend: np.ndarray           # bool: time trend kept
    trend_coef: np.ndarray      # its coefficient, nan when not kept
    control: dict


class _Fit:
    __slots__ = ("coef", "mu", "covu", "hat", "dispersion", "df_r", "converged", "y", "X")


def _poisson_irls(X, y, prior, maxit=25, eps=1e-8):
    """Poisson log-link GLM by IRLS, step for step as R's glm.fit (start μ = y + 0.1, stop when
    |dev − dev_old|/(|dev| + 0.1) < eps); the covariance, hat values and quasi-Poisson
    dispersion use the last iteration's working weights, as R's summary/hatvalues do."""
    def deviance(mu):
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(y > 0, y * np.log(y / mu), 0.0)
        return float(np.sum(2 * prior * (ylogy - (y - mu))))

    mu = y + 0.1
    eta = np.log(mu)
    dev_old = deviance(mu)
    converged = False
    for _ in range(maxit):
        z = eta + (y - mu) / mu
        sw = np.sqrt(prior * mu)
        q, r = np.linalg.qr(X * sw[:, None])
        coef = np.linalg.solve(r, q.T @ (z * sw))
        eta = X @ coef
        mu = np.exp(eta)
        dev = deviance(mu)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < eps:
            converged = True
            break
        dev_old = dev
    fit = _Fit()
    fit.coef, fit.mu, fit.converged, fit.y, fit.X = coef, mu, converged, y, X
    rinv = np.linalg.inv(r)
    fit.covu = rinv @ rinv.T
    fit.hat = np.sum(q**2, axis=1)
    wt = sw**2
    fit.df_r = len(y) - X.shape[1]
    resid = (y - mu) / mu
    fit.dispersion = float(np.sum(wt * resid**2) / fit.df_r) if fit.df_r > 0 else math.nan
    return fit


def _r_colon(a, b):
    """R's a:b (descending when b < a)."""
    return range(a, b + 1) if b >= a else range(a, b - 1, -1)


def _blocks(ref_positions, n, now, b, w, p):
    """surveillance:::blocks, positions 1-based; returns an array (index 0 unused) of block
    numbers, nan outside the reference windows."""
    f = np.full(n + 1, np.nan)
    for i in _r_colon(now - w, now):
        f[i] = p
    ref = sorted(ref_positions, reverse=True)       # now, now − 1 year, …
    for i in range(1, b + 1):
        ref_week = ref[i]
        for j in _r_colon(ref_week - w, ref_week + w):
            f[j] = p
        if p != 1:
            period = ref[i - 1] - 2 * w - 1 - ref_week
            if period < p - (2 * w + 1):
                raise ValueError("Number of factors too big!")
            length, rest = divmod(period, p - 1)
            lengths = [length + (1 if j < rest else 0) for j in range(p - 1)]
            cs = np.concatenate([[0], np.cumsum(lengths)]).astype(int)
            for j in range(1, p):
                for pos in _r_colon(ref_week + w + 1 + cs[j - 1], ref_week + w + 1 + cs[j] - 1):
                    f[pos] = j
    return f


def _minus_years(d: dt.date, years: int) -> dt.date:
    """R's seq(d, by = "-1 year"): same month and day, an impossible 29 February becoming 1 March."""
    try:
        return d.replace(year=d.year - years)
    except ValueError:
        return dt.date(d.year - years, 3, 1)


def _reference_dates(day: dt.date, b: int):
    """surveillance:::algo.farrington.referencetimepoints for weekly dates: the same date in each
    of the b past years, moved to the nearest day of the same weekday."""
    out = []
    for i in range(b + 1):
        ref = _minus_years(day, i)
        a = ref - dt.timedelta(days=(ref.isoweekday() % 7) - (day.isoweekday() % 7))
        bb = a + dt.timedelta(days=-7 if a > ref else 7)
        out.append(bb if abs((a - ref).days) > abs((bb - ref).days) else a)
    return out


def _as_dates(values):
    out = []
    for v in values:
        if isinstance(v, np.datetime64):
            v = v.astype("datetime64[D]").astype(dt.date)
        elif hasattr(v, "date") and callable(v.date):    # datetime, pandas Timestamp
            v = v.date()
        if not isinstance(v, dt.date):
            raise ValueError(f"not a date: {v!r}")
        out.append(v)
    return out


def _design(resp_rows, wtime, groups, trend, factors):
    cols = [np.ones(len(resp_rows))]
    names = ["(Intercept)"]
    if trend:
        cols.append(wtime)
        names.append("wtime")
    levels = []
    if factors:
        levels = sorted(set(groups.tolist()))
        for lev in levels[1:]:
            cols.append((groups == lev).astype(float))
            names.append(f"seasgroups{lev:g}")
    return np.column_stack(cols), names, levels


def _fit_flexible(y, wtime, groups, trend, factors, reweight, weights_threshold):
    """surveillance:::algo.farrington.fitGLM.flexible."""
    X, names, levels = _design(y, wtime, groups, trend, factors)
    ones = np.ones(len(y))
    fit = _poisson_irls(X, y, ones)
    if not fit.converged:
        if trend:
            trend = False
            X, names, levels = _design(y, wtime, groups, trend, factors)
            fit = _poisson_irls(X, y, ones)
        if not fit.converged:
            return None
    phi = max(fit.dispersion, 1.0)
    if reweight:
        with np.errstate(divide="ignore", invalid="ignore"):
            s = 1.5 * (y ** (2 / 3) * fit.mu ** (-1 / 6) - fit.mu**0.5) / np.sqrt(phi * (1 - fit.hat))
        big = s > weights_threshold
        gamma = len(s) / np.sum(np.where(big, s**-2.0, 1.0))
        omega = np.where(big, gamma * s**-2.0, gamma)
        fit = _poisson_irls(X, y, omega)
        phi = max(fit.dispersion, 1.0)
        # The package then stores ω in the model's ``weights`` (R's slot for the working weights),
        # so the later summary() and predict(se.fit) see Σ ω·((y − μ)/μ)² / df as the dispersion.
        # That value decides the trend test and the "muan" threshold; match it.
        fit.dispersion = float(np.sum(omega * ((y - fit.mu) / fit.mu) ** 2) / fit.df_r)
    return fit, phi, names, levels, trend


def _x_new(names, levels, wtime_now, p):
    x = []
    for name in names:
        if name == "(Intercept)":
            x.append(1.0)
        elif name == "wtime":
            x.append(wtime_now)
        else:
            x.append(1.0 if name == f"seasgroups{p:g}" else 0.0)
    return np.array(x)


def _check_farrington(n, dates_or_week_index, freq, b, w, limit54, past_weeks_not_included, threshold_method,
                      positions):
    """The checks of farrington_flexible shared by the batch version: (dates or None, positions,
    past_weeks_not_included)."""
    if threshold_method not in ("nbPlugin", "muan"):
        raise ValueError('threshold_method must be "nbPlugin" or "muan"')
    if not (limit54[0] >= 0 and limit54[1] > 0):
        raise ValueError("The limit54 arguments are out of bounds: cases >= 0 and period > 0.")
    if past_weeks_not_included is None:
        past_weeks_not_included = w
    dates = None
    if dates_or_week_index is not None:
        marks = list(dates_or_week_index)
        if len(marks) != n:
            raise ValueError("dates_or_week_index must have one entry per count")
        if all(isinstance(m, (int, np.integer)) and not isinstance(m, bool) for m in marks):
            if any(b2 - a2 != 1 for a2, b2 in zip(marks, marks[1:])):
                raise ValueError("a week index must be consecutive integers")
        else:
            dates = _as_dates(marks)
            if freq != 52 or any((d2 - d1).days != 7 for d1, d2 in zip(dates, dates[1:])):
                raise ValueError("dates must be weekly (7 days apart, freq = 52)")
    if positions is None:
        positions = range(freq * b + w, n)
    positions = np.asarray(list(positions), dtype=int)
    if len(positions) and (positions.min() < 0 or positions.max() >= n):
        raise ValueError("positions out of range")
    return dates, positions, past_weeks_not_included


def _baseline_rows(k, n, dates, date_pos, freq, b, w, no_periods, past_weeks_not_included):
    """The baseline of the week at 1-based position k; it depends on time only: (idx: 1-based
    positions used, wtime, wtime_now, groups: block of each used position)."""
    if dates is None:
        refs = [k - i * freq for i in range(b + 1)]
        if min(refs) < 1:
            raise ValueError("Some reference time points did not exist; decrease 'b' or postpone 'range'.")
    else:
        try:
            refs = [date_pos[d] for d in _reference_dates(dates[k - 1], b)]
        except KeyError:
            raise ValueError("Some reference time points did not exist; decrease 'b' or postpone 'range'.") from None
    blocks = _blocks(refs, n, k, b, w, no_periods)
    lo = max(k - past_weeks_not_included, 0)
    blocks[lo:k + 1] = np.nan
    idx = np.flatnonzero(~np.isnan(blocks[1:])) + 1     # 1-based positions used
    if dates is None:
        wtime = idx.astype(float)
        wtime_now = float(k)
    else:
        first = dates[idx[0] - 1]
        wtime = np.array([(dates[i - 1] - first).days / 7.0 for i in idx])
        wtime_now = (dates[k - 1] - first).days / 7.0
    return idx, wtime, wtime_now, blocks[idx]


def farrington_flexible(counts, dates_or_week_index=None, *, freq=52, b=5, w=3, reweight=True,
                        weights_threshold=2.58, alpha=0.05, trend=True, p_threshold_trend=1.0,
                        limit54=(5, 4), no_periods=10, past_weeks_not_included=26,
                        threshold_method="nbPlugin", positions=None) -> FarringtonResult:
    """Farrington flexible (surveillance::farringtonFlexible) on one count series.

    ``dates_or_week_index``: None or consecutive integers (week index: a year back is
    ``freq`` positions back, as the package with ``epochAsDate = FALSE``), or weekly dates
    (a year back is the same date a year earlier moved to the nearest same weekday, as the
    package with ``epochAsDate = TRUE``). ``positions``: 0-based positions to evaluate
    (default every position from ``freq·b + w``, the package's default range).

    Defaults are the Noufaily et al. (2012) settings advised in the package: b = 5, w = 3,
    reweighting with Anscombe residuals above 2.58, trend kept when p < 1 (that is, nearly
    always, if it does not extrapolate), 10 seasonal periods, the last 26 weeks left out of
    the baseline, the negative-binomial plug-in threshold at α = 0.05, and no alarm when the
    last 4 weeks (current included) hold fewer than 5 cases. Population offsets and the
    "delta" threshold of the 1996 method are not implemented.
    """
    y_all = np.asarray(counts, dtype=float)
    if y_all.ndim != 1 or not np.all(np.isfinite(y_all)) or np.any(y_all < 0) or np.any(y_all != np.round(y_all)):
        raise ValueError("counts must be a one-dimensional series of non-negative integers (no missing values)")
    n = len(y_all)
    dates, positions, past_weeks_not_included = _check_farrington(
        n, dates_or_week_index, freq, b, w, limit54, past_weeks_not_included, threshold_method, positions)
    factors = no_periods != 1
    date_pos = {d: i + 1 for i, d in enumerate(dates)} if dates is not None else None
    m = len(positions)
    res = {key: np.full(m, np.nan) for key in ("upperbound", "expected", "score", "pvalue", "phi", "trend_coef")}
    alarm = np.zeros(m, dtype=bool)
    trend_kept = np.zeros(m, dtype=bool)
    y_ext = np.concatenate([[np.nan], y_all])          # 1-based like R
    for out_i, pos in enumerate(positions):
        k = int(pos) + 1
        idx, wtime, wtime_now, groups = _baseline_rows(k, n, dates, date_pos, freq, b, w, no_periods,
                                                       past_weeks_not_included)
        y = y_ext[idx]

        fitted = _fit_week(y, wtime, wtime_now, groups, trend, factors, reweight, weights_threshold, b,
                           p_threshold_trend, no_periods)
        if fitted is None:
            alarm[out_i] = False
            continue
        eta0, se_eta0, phi, do_trend, trend_coef = fitted
        upper, prob, score = _noufaily_threshold(eta0, se_eta0, phi, alpha, y_ext[k], threshold_method)
        enough = np.sum(y_ext[max(k - limit54[1] + 1, 1):k + 1]) >= limit54[0]
        res["score"][out_i] = score
        res["pvalue"][out_i] = prob
        res["phi"][out_i] = phi
        if do_trend:
            trend_kept[out_i] = True
            res["trend_coef"][out_i] = trend_coef
        if enough:
            res["upperbound"][out_i] = upper
            if not math.isnan(upper):
                res["expected"][out_i] = math.exp(eta0)
            alarm[out_i] = bool(not math.isnan(score) and score > 1 and y_ext[k] != 0)
    control = dict(freq=freq, b=b, w=w, reweight=reweight, weights_threshold=weights_threshold, alpha=alpha,
                   trend=trend, p_threshold_trend=p_threshold_trend, limit54=tuple(limit54),
                   no_periods=no_periods, past_weeks_not_included=past_weeks_not_included,
                   threshold_method=threshold_method, epoch_as_date=dates is not None)
    return FarringtonResult(index=positions, observed=y_all[positions], alarm=alarm, trend=trend_kept,
                            control=control, **res)


def _fit_week(y, wtime, wtime_now, groups, trend, factors, reweight, weights_threshold, b, p_threshold_trend,
              no_periods):
    """The fit of one evaluated week: None (no convergence) or (η0, se(η0), φ, trend kept, trend
    coefficient or nan)."""
    fitted = _fit_flexible(y, wtime, groups, trend, factors, reweight, weights_threshold)
    if fitted is None:
        return None
    trend_coef = math.nan
    fit, phi, names, levels, has_trend = fitted
    do_trend = False
    if "wtime" in names:
        x0 = _x_new(names, levels, wtime_now, no_periods)
        j = names.index("wtime")
        se = math.sqrt(fit.dispersion * fit.covu[j, j])
        pval = 2 * stats.t.sf(abs(fit.coef[j] / se), fit.df_r)
        significant = pval < p_threshold_trend
        no_extrapolation = math.exp(x0 @ fit.coef) <= np.max(y)
        do_trend = b >= 3 and significant and no_extrapolation
        trend_coef = fit.coef[j]
        if not do_trend:
            fit, phi, names, levels, _ = _fit_flexible(y, wtime, groups, False, factors, reweight,
                                                       weights_threshold)
    x0 = _x_new(names, levels, wtime_now, no_periods)
    eta0 = float(x0 @ fit.coef)
    se_eta0 = math.sqrt(fit.dispersion * float(x0 @ fit.covu @ x0))
    return eta0, se_eta0, phi, do_trend, trend_coef


def _noufaily_threshold(eta0, se_eta0, phi, alpha, y, method):
    """surveillance:::algo.farrington.threshold.noufaily (score on the link scale, as there)."""
    if method == "nbPlugin":
        mu0 = math.exp(eta0)
    else:
        mu0 = math.exp(stats.norm.ppf(1 - alpha, loc=eta0, scale=se_eta0))
    if math.isinf(mu0):
        return math.nan, math.nan, math.nan
    if phi > 1:
        size, prob = mu0 / (phi - 1), 1 / phi
        upper = float(stats.nbinom.ppf(1 - alpha, size, prob))
        q = float(stats.nbinom.sf(y - 1, size, prob))
    else:
        upper = float(stats.poisson.ppf(1 - alpha, mu0))
        q = float(stats.poisson.sf(y - 1, mu0))
    score = (y - eta0) / (upper - eta0)
    return upper, q, score


# --------------------------------------------------------------------------- batch versions
#
# The same methods over many series at once (rows of a 2-D array), numpy-vectorised across the
# series. Each gives what the scalar function gives row by row (alarms identical, statistics
# and thresholds equal to rounding: zhijian/analytics/tests/test_signals_batch.py).


def _matrix(x, name="x"):
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"{name} must be two-dimensional (series × time)")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} has missing or infinite values")
    return x


def _per_series(value, shape, name, positive=False, per_time=True):
    """A scalar, a per-series (S,) array, or (per_time) a per-time (n,) or (S, n) array, as (S, n)."""
    v = np.asarray(value, dtype=float)
    s, n = shape
    if v.ndim == 1 and v.shape[0] == s and (s != n or not per_time):
        v = v[:, None]
    elif v.ndim == 1 and not per_time:
        raise ValueError(f"{name} must be a scalar or one value per series")
    v = np.broadcast_to(v, shape)
    if not np.all(np.isfinite(v)) or (positive and np.any(v <= 0)):
        raise ValueError(f"{name} must be finite" + (" and positive" if positive else ""))
    return v


def cusum_batch(x, mu0, sigma, k=0.5, h=4.0, s0=0.0) -> ChartResult:
    """``cusum`` on every row of ``x`` (series × time). ``mu0``/``sigma``: scalars, one value per
    series (shape (S,)), per time (shape (n,), when S ≠ n) or (S, n); ``s0`` scalar or (S,).
    Returns (S, n) arrays."""
    x = _matrix(x)
    s_, n = x.shape
    z = (x - _per_series(mu0, x.shape, "mu0")) / _per_series(sigma, x.shape, "sigma", positive=True)
    out = np.empty_like(z)
    prev = np.broadcast_to(np.asarray(s0, dtype=float), (s_,)).copy()
    for t in range(n):
        prev = np.maximum(0.0, prev + z[:, t] - k)
        out[:, t] = prev
    threshold = np.full(x.shape, float(h))
    return ChartResult(out, threshold, out > threshold)


def ewma_batch(x, mu0, sigma, lam=0.2, L=3.0, z0=None) -> ChartResult:
    """``ewma`` on every row of ``x``; ``mu0``/``sigma``/``z0``: scalars or one value per series."""
    if not 0 < lam <= 1:
        raise ValueError("lam must be in (0, 1]")
    x = _matrix(x)
    s_, n = x.shape
    mu0 = _per_series(mu0, (s_, 1), "mu0", per_time=False)[:, 0]
    sigma = _per_series(sigma, (s_, 1), "sigma", positive=True, per_time=False)[:, 0]
    prev = (mu0 if z0 is None else np.broadcast_to(np.asarray(z0, dtype=float), (s_,))).copy()
    z = np.empty_like(x)
    for t in range(n):
        prev = lam * x[:, t] + (1 - lam) * prev
        z[:, t] = prev
    t = np.arange(1, n + 1)
    threshold = mu0[:, None] + (L * sigma)[:, None] * np.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * t)))[None, :]
    return ChartResult(z, threshold, z > threshold)


@dataclass(frozen=True)
class PRRBatch:
    prr: np.ndarray
    chi2: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    signal: np.ndarray


@dataclass(frozen=True)
class RORBatch:
    ror: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    signal: np.ndarray


def _cells_batch(a, b, c, d):
    out = []
    for name, v in zip("abcd", np.broadcast_arrays(a, b, c, d)):
        v = np.asarray(v)
        if v.dtype == bool or not np.all(np.isfinite(v)) or np.any(v < 0) or np.any(v != np.round(v)):
            raise ValueError(f"{name} must hold counts (non-negative integers)")
        out.append(v.astype(float))
    return out


def chi_square_2x2_batch(a, b, c, d, yates=True) -> np.ndarray:
    """``chi_square_2x2`` elementwise over arrays of cells (float arithmetic)."""
    a, b, c, d = _cells_batch(a, b, c, d)
    return _chi2(a, b, c, d, yates)


def _chi2(a, b, c, d, yates):
    n = a + b + c + d
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    diff = np.abs(a * d - b * c)
    if yates:
        diff = np.maximum(0.0, diff - n / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(margins == 0, np.nan, n * diff**2 / np.where(margins == 0, 1.0, margins))


def prr_batch(a, b, c, d, *, min_prr=2.0, min_chi2=4.0, min_a=3, yates=True, z=1.96) -> PRRBatch:
    """``prr`` elementwise over arrays of cells a, b, c, d (any broadcastable shapes)."""
    a, b, c, d = _cells_batch(a, b, c, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (a * (c + d)) / (c * (a + b))
        value = np.where((a + b == 0) | (c + d == 0), np.nan,
                         np.where(c == 0, np.where(a > 0, np.inf, np.nan), value))
        ok = (a > 0) & (c > 0)
        se = np.sqrt(np.where(ok, 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d), np.nan))
        low, high = value * np.exp(-z * se), value * np.exp(z * se)
    chi2 = _chi2(a, b, c, d, yates)
    signal = (a >= min_a) & (value >= min_prr) & (chi2 >= min_chi2)
    return PRRBatch(value, chi2, low, high, signal)


def ror_batch(a, b, c, d, *, z=1.96, min_a=3, min_ci_low=1.0, haldane=False) -> RORBatch:
    """``ror`` elementwise over arrays of cells a, b, c, d."""
    a, b, c, d = _cells_batch(a, b, c, d)
    n_a = a
    if haldane:
        zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
        a, b, c, d = (np.where(zero, v + 0.5, v) for v in (a, b, c, d))
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (a * d) / (b * c)
        value = np.where(zero & (b * c == 0), np.where(a * d != 0, np.inf, np.nan), value)
        se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        low = np.where(zero, np.nan, value * np.exp(-z * se))
        high = np.where(zero, np.nan, value * np.exp(z * se))
    return RORBatch(value, low, high, ~zero & (n_a >= min_a) & (low > min_ci_low))


def _irls_batch(y, t, g, n_groups, trend, prior, maxit=25, eps=1e-8):
    """``_poisson_irls`` for many series (rows of y) on the design of one evaluation week:
    intercept + seasonal factor (g: group index 0..n_groups−1 of each row of the baseline) +
    optional time trend t. Fitted in the equivalent parametrisation with one indicator per group
    (same column space, so the same fit, trend coefficient, covariance of predictions and hat
    values), where the weighted least squares has a closed form: per-group weighted means and,
    with trend, the within-group regression on time. Each series stops when it has converged,
    as glm.fit does. The rows of the baseline come sorted by group (g non-decreasing), so that
    the per-group sums are np.add.reduceat (no BLAS call: its threads cost more than they give
    on these small products). Returns a dict of per-series arrays."""
    s_, m = y.shape
    counts = np.bincount(g, minlength=n_groups)
    if np.any(np.diff(g) < 0) or np.any(counts == 0):
        raise ValueError("baseline rows must be sorted by group, every group present")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])

    def gsum(v):
        return np.add.reduceat(v, starts, axis=1)

    def spread(v):
        return np.repeat(v, counts, axis=1)

    def deviance(yy, mu, pr):
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(yy > 0, yy * np.log(yy / mu), 0.0)
        return np.sum(2 * pr * (ylogy - (yy - mu)), axis=1)

    mu = y + 0.1
    eta = np.log(mu)
    dev_old = deviance(y, mu, prior)
    beta_g = np.zeros((s_, n_groups))
    beta_t = np.zeros(s_)
    wt = np.zeros((s_, m))
    A = np.ones((s_, n_groups))
    tbar = np.zeros((s_, n_groups))
    sc = np.ones(s_)
    converged = np.zeros(s_, dtype=bool)
    iterations = np.zeros(s_, dtype=int)
    active = np.arange(s_)
    tt = t[None, :]
    for it in range(maxit):
        every = len(active) == s_
        yy, mm, ee, pr = (y, mu, eta, prior) if every else (y[active], mu[active], eta[active], prior[active])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            w = pr * mm
            wz = w * ee + pr * (yy - mm)          # w·z, z = η + (y − μ)/μ
            a_ = gsum(w)
            r = gsum(wz)
            if trend:
                tb = gsum(w * tt) / a_
                dt_ = tt - spread(tb)
                wdt = w * dt_
                sc_ = np.einsum("ij,ij->i", wdt, dt_)
                bt = np.einsum("ij,ij->i", dt_, wz) / sc_
                bg = r / a_ - tb * bt[:, None]
                eta_new = spread(bg) + bt[:, None] * tt
            else:
                bg = r / a_
                eta_new = spread(bg)
            mu_new = np.exp(eta_new)
        dev = deviance(yy, mu_new, pr)
        done = np.abs(dev - dev_old[active]) / (np.abs(dev) + 0.1) < eps
        if every:
            mu, eta, dev_old, wt, beta_g, A = mu_new, eta_new, dev, w, bg, a_
            if trend:
                beta_t, tbar, sc = bt, tb, sc_
        else:
            mu[active], eta[active], dev_old[active], wt[active] = mu_new, eta_new, dev, w
            beta_g[active], A[active] = bg, a_
            if trend:
                beta_t[active], tbar[active], sc[active] = bt, tb, sc_
        converged[active[done]] = True
        iterations[active] = it + 1
        active = active[~done]
        if not len(active):
            break
    with np.errstate(divide="ignore", invalid="ignore"):
        lev = 1 / spread(A)
        if trend:
            lev = lev + (t[None, :] - spread(tbar)) ** 2 / sc[:, None]
        hat = wt * lev
    df_r = m - (n_groups + (1 if trend else 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        dispersion = np.sum(wt * ((y - mu) / mu) ** 2, axis=1) / df_r if df_r > 0 else np.full(s_, np.nan)
    return dict(beta_g=beta_g, beta_t=beta_t, A=A, tbar=tbar, sc=sc, mu=mu, hat=hat, dispersion=dispersion,
                converged=converged, iterations=iterations)


def _fit_flexible_batch(y, t, g, n_groups, trend, reweight, weights_threshold):
    """``_fit_flexible`` for many series; returns (fit dict, phi, has_trend per series, ok per
    series: False where the scalar version returns None)."""
    s_, m = y.shape
    ones = np.ones_like(y)
    fit = _irls_batch(y, t, g, n_groups, trend, ones)
    has_trend = np.full(s_, trend)
    if trend and not fit["converged"].all():
        redo = np.flatnonzero(~fit["converged"])
        sub = _irls_batch(y[redo], t, g, n_groups, False, ones[redo])
        fit = _merge(fit, sub, redo)
        has_trend[redo] = False
    ok = fit["converged"].copy()
    phi = np.maximum(fit["dispersion"], 1.0)
    if reweight:
        with np.errstate(divide="ignore", invalid="ignore"):
            s = 1.5 * (y ** (2 / 3) * fit["mu"] ** (-1 / 6) - fit["mu"] ** 0.5) / np.sqrt(phi[:, None] * (1 - fit["hat"]))
            big = s > weights_threshold
            gamma = m / np.sum(np.where(big, s**-2.0, 1.0), axis=1)
            omega = np.where(big, gamma[:, None] * s**-2.0, gamma[:, None])
        for tr in (True, False):
            rows = np.flatnonzero(has_trend == tr)
            if len(rows):
                sub = _irls_batch(y[rows], t, g, n_groups, tr, omega[rows])
                fit = _merge(fit, sub, rows)
        phi = np.maximum(fit["dispersion"], 1.0)
        df_r = m - n_groups - has_trend.astype(int)
        with np.errstate(divide="ignore", invalid="ignore"):
            fit["dispersion"] = np.sum(omega * ((y - fit["mu"]) / fit["mu"]) ** 2, axis=1) / df_r
    return fit, phi, has_trend, ok


def _merge(fit, sub, rows):
    """A copy of fit with the rows ``rows`` replaced by sub's."""
    if len(rows) == len(fit["mu"]):
        return sub
    out = {}
    for key, v in fit.items():
        if key not in sub:
            continue
        v = v.copy()
        v[rows] = sub[key]
        out[key] = v
    return out


def farrington_flexible_batch(counts, dates_or_week_index=None, *, freq=52, b=5, w=3, reweight=True,
                              weights_threshold=2.58, alpha=0.05, trend=True, p_threshold_trend=1.0,
                              limit54=(5, 4), no_periods=10, past_weeks_not_included=26,
                              threshold_method="nbPlugin", positions=None, only_alarmable=False,
                              chunk=4096) -> FarringtonResult:
    """``farrington_flexible`` on every row of ``counts`` (series × weeks, all on the same weeks),
    at the same ``positions``. The baseline and design of an evaluated week depend on time only,
    so each week's IRLS, reweighting, trend test and threshold run for all series together
    (``chunk`` series at a time, to bound memory); series whose baseline is all zero are fitted
    once and share that fit; the few fits where rounding noise could decide (see FRAGILE_T) are
    redone by the scalar code (their number: ``control["scalar_fits"]``).

    ``only_alarmable``: at each week, fit only the series that can alarm there: at least
    ``limit54[0]`` cases in the last ``limit54[1]`` weeks (the limit54 rule of the scalar
    version; with fewer it gives no alarm and a NaN upper bound and expected count). The others
    get that too, and NaN instead of the scalar version's score, p-value, φ and trend. Returns a ``FarringtonResult`` whose fields are
    (series × positions) arrays (``index``: the positions). A fit that does not converge gives
    no alarm and NaN, as in the scalar version."""
    y_all = np.asarray(counts, dtype=float)
    if y_all.ndim != 2 or not np.all(np.isfinite(y_all)) or np.any(y_all < 0) or np.any(y_all != np.round(y_all)):
        raise ValueError("counts must be a two-dimensional array (series × weeks) of non-negative integers "
                         "(no missing values)")
    s_, n = y_all.shape
    dates, positions, past_weeks_not_included = _check_farrington(
        n, dates_or_week_index, freq, b, w, limit54, past_weeks_not_included, threshold_method, positions)
    factors = no_periods != 1
    date_pos = {d: i + 1 for i, d in enumerate(dates)} if dates is not None else None
    m = len(positions)
    res = {key: np.full((s_, m), np.nan) for key in ("upperbound", "expected", "score", "pvalue", "phi", "trend_coef")}
    alarm = np.zeros((s_, m), dtype=bool)
    trend_kept = np.zeros((s_, m), dtype=bool)
    n_scalar = 0
    for out_i, pos in enumerate(positions):
        k = int(pos) + 1
        idx, wtime, wtime_now, groups = _baseline_rows(k, n, dates, date_pos, freq, b, w, no_periods,
                                                       past_weeks_not_included)
        if factors:
            levels = np.array(sorted(set(groups.tolist())))
            g = np.searchsorted(levels, groups)
            g_now = int(np.searchsorted(levels, no_periods)) if no_periods in levels else 0
        else:
            levels, g, g_now = np.array([1.0]), np.zeros(len(idx), dtype=int), 0
        y_base = y_all[:, idx - 1]
        y_now = y_all[:, k - 1]
        recent = y_all[:, max(k - limit54[1], 0):k].sum(axis=1)
        # Series whose baseline is all zero share one fit, taken from the scalar code: there the
        # trend coefficient is 0 up to rounding noise, and the noise decides the trend test at
        # p_threshold_trend = 1, so only the same arithmetic gives the same decision.
        zero = ~y_base.any(axis=1)
        if only_alarmable:
            zero &= recent >= limit54[0]
            fit_rows = np.flatnonzero((recent >= limit54[0]) & ~zero)
        else:
            fit_rows = np.flatnonzero(~zero)
        out = {key: np.full(s_, np.nan) for key in ("eta0", "se_eta0", "phi", "trend_coef")}
        ok_all = np.zeros(s_, dtype=bool)
        do_trend_all = np.zeros(s_, dtype=bool)
        scalar_rows = [np.flatnonzero(zero)[:1]]
        order = np.argsort(g, kind="stable")          # baseline rows by block, for _irls_batch
        for start in range(0, len(fit_rows), chunk):
            rows = fit_rows[start:start + chunk]
            eta0, se_eta0, phi, do_trend, tcoef, ok, fragile = _farrington_week(
                y_base[rows][:, order], wtime[order], wtime_now, g[order], len(levels), g_now, trend, reweight,
                weights_threshold, b, p_threshold_trend)
            out["eta0"][rows], out["se_eta0"][rows], out["phi"][rows] = eta0, se_eta0, phi
            out["trend_coef"][rows], ok_all[rows], do_trend_all[rows] = tcoef, ok, do_trend
            scalar_rows.append(rows[fragile])
        for row in np.concatenate(scalar_rows):
            fitted = _fit_week(y_base[row], wtime, wtime_now, groups, trend, factors, reweight,
                               weights_threshold, b, p_threshold_trend, no_periods)
            into = zero if zero[row] else row
            ok_all[into] = fitted is not None
            if fitted is not None:
                out["eta0"][into], out["se_eta0"][into], out["phi"][into] = fitted[:3]
                do_trend_all[into], out["trend_coef"][into] = fitted[3], fitted[4]
        n_scalar += sum(len(r) for r in scalar_rows)
        upper, prob, score = _noufaily_threshold_batch(out["eta0"], out["se_eta0"], out["phi"], alpha, y_now,
                                                       threshold_method)
        enough = ok_all & (recent >= limit54[0])
        res["score"][ok_all, out_i] = score[ok_all]
        res["pvalue"][ok_all, out_i] = prob[ok_all]
        res["phi"][ok_all, out_i] = out["phi"][ok_all]
        kept = ok_all & do_trend_all
        trend_kept[kept, out_i] = True
        res["trend_coef"][kept, out_i] = out["trend_coef"][kept]
        res["upperbound"][enough, out_i] = upper[enough]
        has_upper = enough & ~np.isnan(upper)
        res["expected"][has_upper, out_i] = np.exp(out["eta0"][has_upper])
        alarm[:, out_i] = enough & ~np.isnan(score) & (score > 1) & (y_now != 0)
    control = dict(freq=freq, b=b, w=w, reweight=reweight, weights_threshold=weights_threshold, alpha=alpha,
                   trend=trend, p_threshold_trend=p_threshold_trend, limit54=tuple(limit54),
                   no_periods=no_periods, past_weeks_not_included=past_weeks_not_included,
                   threshold_method=threshold_method, epoch_as_date=dates is not None,
                   scalar_fits=n_scalar)
    return FarringtonResult(index=positions, observed=y_all[:, positions], alarm=alarm, trend=trend_kept,
                            control=control, **res)


# Where the batch arithmetic and the scalar arithmetic (QR, as R) may take different decisions on
# rounding noise, the scalar code decides: a trend t statistic near 0 (the trend test at
# p_threshold_trend = 1 is "p < 1", i.e. |t| above about 1e-16), a prediction equal to the
# largest baseline count (the extrapolation test). (Fits whose coefficients diverge -- seasonal
# blocks without a case -- take up to the 25 iterations; the convergence test is a relative
# change of the deviance, which rounding moves by ~1e-8 of itself, so the iteration where it
# passes 1e-8 is the same in both codes but for a chance of that order.)
FRAGILE_T = 1e-6


def _farrington_week(y, t, t_now, g, n_groups, g_now, trend, reweight, weights_threshold, b, p_threshold_trend):
    """One evaluated week for a block of series: (η0, se(η0), φ, trend kept, trend coefficient,
    fitted, fragile) per series."""
    s_, m = y.shape
    fit, phi, has_trend, ok = _fit_flexible_batch(y, t, g, n_groups, trend, reweight, weights_threshold)
    do_trend = np.zeros(s_, dtype=bool)
    fragile = np.zeros(s_, dtype=bool)
    tcoef = np.full(s_, np.nan)
    if has_trend.any():
        df_r = m - n_groups - 1
        ymax = y.max(axis=1)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            tstat = np.abs(fit["beta_t"] / np.sqrt(fit["dispersion"] / fit["sc"]))
            pval = 2 * stats.t.sf(tstat, df_r)
            predicted = np.exp(fit["beta_g"][:, g_now] + fit["beta_t"] * t_now)
            no_extrapolation = predicted <= ymax
            fragile = has_trend & (~(tstat > FRAGILE_T) | (np.abs(predicted - ymax) <= 1e-9 * ymax))
        do_trend = has_trend & (b >= 3) & (pval < p_threshold_trend) & no_extrapolation
        tcoef = np.where(has_trend, fit["beta_t"], np.nan)
        redo = np.flatnonzero(has_trend & ~do_trend)
        if len(redo):
            sub, sub_phi, _, sub_ok = _fit_flexible_batch(y[redo], t, g, n_groups, False, reweight,
                                                          weights_threshold)
            fit = _merge(fit, sub, redo)
            phi = phi.copy()
            phi[redo] = sub_phi
            ok = ok.copy()
            ok[redo] &= sub_ok      # the scalar version cannot go on there (it would fail)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        eta0 = fit["beta_g"][:, g_now] + np.where(do_trend, fit["beta_t"] * t_now, 0.0)
        var = 1 / fit["A"][:, g_now] + np.where(do_trend, (t_now - fit["tbar"][:, g_now]) ** 2 / fit["sc"], 0.0)
        se_eta0 = np.sqrt(fit["dispersion"] * var)
    return eta0, se_eta0, phi, do_trend, tcoef, ok, fragile


def _noufaily_threshold_batch(eta0, se_eta0, phi, alpha, y, method):
    """``_noufaily_threshold`` elementwise."""
    with np.errstate(over="ignore", invalid="ignore"):
        if method == "nbPlugin":
            mu0 = np.exp(eta0)
        else:
            mu0 = np.exp(stats.norm.ppf(1 - alpha, loc=eta0, scale=se_eta0))
    upper = np.full(len(eta0), np.nan)
    q = np.full(len(eta0), np.nan)
    finite = ~np.isinf(mu0) & ~np.isnan(mu0)
    nb = finite & (phi > 1)
    po = finite & ~(phi > 1)
    if nb.any():
        size, prob = mu0[nb] / (phi[nb] - 1), 1 / phi[nb]
        upper[nb] = stats.nbinom.ppf(1 - alpha, size, prob)
        q[nb] = stats.nbinom.sf(y[nb] - 1, size, prob)
    if po.any():
        upper[po] = stats.poisson.ppf(1 - alpha, mu0[po])
        q[po] = stats.poisson.sf(y[po] - 1, mu0[po])
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (y - eta0) / (upper - eta0)
    return upper, q, score

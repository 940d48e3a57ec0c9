"""Risk level of a product from its injury scenarios (EU Safety Gate / RAPEX method).

Pure domain logic: no Django, no database. The method is that of Commission Implementing
Decision (EU) 2019/417, Appendix 6 (risk assessment guidelines), carried on in Commission
Delegated Regulation (EU) 2024/3173, Annex II; see docs/risk-methods.md.

* An injury scenario is a chain of steps. Its probability of harm over the product's
  foreseeable lifetime is the product of the steps' probabilities, computed exactly
  (``fractions.Fraction``).
* The probability falls in a band ("> 1/10" means strictly greater than 1/10, so exactly
  1/10 lies in the band "> 1/100"); band × severity (1–4) gives the level S (serious),
  H (high), M (medium) or L (low).
* A product's risk is that of its worst scenario: S > H > M > L, ties broken by the higher
  probability, then by the higher severity, then by the order given.

The matrix is data, ``data/risk_matrix.csv`` (see ``data/README.md``): one row per band,
top band first, with the band's exclusive lower bound as an exact fraction, its label and
the level for each severity. ``load_matrix`` reads and checks it.
"""
from __future__ import annotations

import csv
import numbers
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

MATRIX_PATH = Path(__file__).with_name("data") / "risk_matrix.csv"
SEVERITIES = (1, 2, 3, 4)
LEVELS = ("L", "M", "H", "S")          # ascending
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
LEVEL_NAMES = {"S": "serious", "H": "high", "M": "medium", "L": "low"}


class RiskInputError(ValueError):
    """A scenario, step, severity or probability that the method cannot take."""


class MatrixError(ValueError):
    """The risk-matrix data file is malformed."""


@dataclass(frozen=True)
class Band:
    lower: Fraction          # exclusive lower bound: p belongs here when p > lower
    label: str
    levels: Mapping[int, str]  # severity -> level


@dataclass(frozen=True)
class RiskMatrix:
    bands: tuple[Band, ...]  # top band first; the last one has lower bound 0

    def band(self, probability) -> Band:
        p = parse_probability(probability)
        for band in self.bands:
            if p > band.lower:
                return band
        raise AssertionError("the last band has lower bound 0")  # pragma: no cover

    def level(self, severity: int, probability) -> str:
        return self.band(probability).levels[_check_severity(severity)]


def parse_probability(value, *, where: str = "probability") -> Fraction:
    """An exact probability in (0, 1] from "1/10", "0.5", "50%", an int, Decimal or Fraction.

    A float is read through its shortest decimal representation (0.1 → 1/10), not its binary
    value; pass strings where exactness matters.
    """
    if isinstance(value, bool):
        raise RiskInputError(f"{where}: {value!r} is not a probability")
    try:
        if isinstance(value, Fraction):
            p = value
        elif isinstance(value, float):
            p = Fraction(Decimal(repr(value)))
        elif isinstance(value, (numbers.Rational, Decimal)):
            p = Fraction(value)
        elif isinstance(value, str):
            text = value.strip().replace(" ", "").replace("\u202f", "").replace(",", "")
            if text.endswith("%"):
                p = Fraction(Decimal(text[:-1])) / 100
            elif "/" in text:
                num, _, den = text.partition("/")
                p = Fraction(Decimal(num)) / Fraction(Decimal(den))
            else:
                p = Fraction(Decimal(text))
        else:
            raise TypeError
    except (TypeError, ValueError, ZeroDivisionError, InvalidOperation):
        raise RiskInputError(f"{where}: {value!r} is not a probability") from None
    if not 0 < p <= 1:
        raise RiskInputError(f"{where}: {value!r} is outside (0, 1]")
    return p


def _check_severity(severity, where: str = "severity") -> int:
    if isinstance(severity, bool) or not isinstance(severity, numbers.Integral) or severity not in SEVERITIES:
        raise RiskInputError(f"{where}: {severity!r} is not a severity level 1–4")
    return int(severity)


def load_matrix(path: Path | str | None = None) -> RiskMatrix:
    """Read and check the matrix CSV (columns lower_bound, label, S1..S4)."""
    path = Path(path) if path is not None else MATRIX_PATH
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    columns = ["lower_bound", "label"] + [f"S{s}" for s in SEVERITIES]
    bands = []
    for i, row in enumerate(rows, start=2):
        if any(row.get(c) in (None, "") for c in columns):
            raise MatrixError(f"{path.name} line {i}: needs {', '.join(columns)}")
        try:
            lower = Fraction(row["lower_bound"].strip())
        except (ValueError, ZeroDivisionError):
            raise MatrixError(f"{path.name} line {i}: lower_bound {row['lower_bound']!r} is not a fraction") from None
        levels = {s: row[f"S{s}"].strip() for s in SEVERITIES}
        if any(level not in LEVEL_RANK for level in levels.values()):
            raise MatrixError(f"{path.name} line {i}: levels must be one of {', '.join(LEVELS)}")
        bands.append(Band(lower, row["label"].strip(), levels))
    if not bands or bands[-1].lower != 0:
        raise MatrixError(f"{path.name}: the last band must have lower bound 0")
    for upper, lower in zip(bands, bands[1:]):
        if not upper.lower > lower.lower:
            raise MatrixError(f"{path.name}: lower bounds must strictly decrease ({upper.label}, {lower.label})")
    if not 0 <= bands[0].lower < 1:
        raise MatrixError(f"{path.name}: the top band's lower bound must be below 1")
    # Risk never falls as severity or probability rises.
    for band in bands:
        ranks = [LEVEL_RANK[band.levels[s]] for s in SEVERITIES]
        if ranks != sorted(ranks):
            raise MatrixError(f"{path.name}: band {band.label}: level falls as severity rises")
    for upper, lower in zip(bands, bands[1:]):
        if any(LEVEL_RANK[upper.levels[s]] < LEVEL_RANK[lower.levels[s]] for s in SEVERITIES):
            raise MatrixError(f"{path.name}: level falls as probability rises ({lower.label} → {upper.label})")
    return RiskMatrix(tuple(bands))


@lru_cache(maxsize=1)
def default_matrix() -> RiskMatrix:
    return load_matrix()


@dataclass(frozen=True)
class Step:
    description: str
    probability: Fraction


@dataclass(frozen=True)
class Scenario:
    name: str
    severity: int
    steps: tuple[Step, ...]

    @classmethod
    def build(cls, name, severity, steps: Iterable) -> "Scenario":
        """Check and normalise a scenario; steps are probabilities or (description, probability)
        pairs or mappings with ``probability`` (and optionally ``description``)."""
        name = str(name)
        severity = _check_severity(severity, f"scenario {name!r}: severity")
        built = []
        for i, step in enumerate(steps, start=1):
            if isinstance(step, Step):
                description, probability = step.description, step.probability
            elif isinstance(step, Mapping):
                if "probability" not in step:
                    raise RiskInputError(f"scenario {name!r}, step {i}: no probability")
                description, probability = step.get("description", ""), step["probability"]
            elif isinstance(step, (tuple, list)) and len(step) == 2:
                description, probability = step
            else:
                description, probability = "", step
            label = f"scenario {name!r}, step {i}" + (f" ({description})" if description else "")
            built.append(Step(str(description), parse_probability(probability, where=label)))
        if not built:
            raise RiskInputError(f"scenario {name!r}: at least one step is needed")
        return cls(name, severity, tuple(built))


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    severity: int
    probability: Fraction
    band: str
    level: str

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]


@dataclass(frozen=True)
class Assessment:
    level: str
    worst: ScenarioResult
    scenarios: tuple[ScenarioResult, ...] = field(default=())

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]


def scenario_probability(steps: Iterable) -> Fraction:
    """Exact product of the step probabilities."""
    p = Fraction(1)
    for i, step in enumerate(steps, start=1):
        p *= parse_probability(step, where=f"step {i}")
    return p


def as_scenario(item, index: int) -> Scenario:
    if isinstance(item, Scenario):
        return item
    if isinstance(item, Mapping):
        name = item.get("name", f"#{index}")
        for key in ("severity", "steps"):
            if key not in item:
                raise RiskInputError(f"scenario {str(name)!r}: no {key}")
        return Scenario.build(name, item["severity"], item["steps"])
    raise RiskInputError(f"scenario #{index}: expected a Scenario or a mapping, got {type(item).__name__}")


def assess_scenario(scenario, matrix: RiskMatrix | None = None) -> ScenarioResult:
    scenario = as_scenario(scenario, 1)
    matrix = matrix or default_matrix()
    p = Fraction(1)
    for step in scenario.steps:
        p *= step.probability
    band = matrix.band(p)
    return ScenarioResult(scenario.name, scenario.severity, p, band.label, band.levels[scenario.severity])


def assess(scenarios: Sequence, matrix: RiskMatrix | None = None) -> Assessment:
    """Assess every scenario; the product's level is that of the worst one."""
    matrix = matrix or default_matrix()
    results = tuple(assess_scenario(as_scenario(s, i), matrix) for i, s in enumerate(scenarios, start=1))
    if not results:
        raise RiskInputError("at least one scenario is needed")
    # max() keeps the first of equal keys, so the order given breaks the last ties.
    worst = max(results, key=lambda r: (LEVEL_RANK[r.level], r.probability, r.severity))
    return Assessment(worst.level, worst, results)

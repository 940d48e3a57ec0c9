"""Forward and backward traces over the traceability graph, as one recursive SQL query.

The graph is two tables: ``recall_lot`` (``id``) and ``recall_movement`` (``source_id`` →
``target_id``, ``id``, ``kind``, ``quantity``). A forward trace follows movements from source to
target (where did the lot go: the product lots it went into, the lots it was shipped as); a
backward trace follows them from target to source (what went into it, where it came from).

``trace(cursor, lot_ids, direction, max_depth)`` runs one ``WITH RECURSIVE`` statement on any
DB-API cursor — Django's connection cursor (SQLite, PostgreSQL), psycopg, DuckDB — so the
benchmark (``bench/trace.py``) runs the same SQL as the application. It returns every lot reached
with its minimum depth (the seeds at depth 0) and the movements traversed.

Cycles: the recursive part carries the depth and stops at ``max_depth``; ``UNION`` (not ``UNION
ALL``) drops a (lot, depth) pair found twice, so a lot reached by several paths at the same depth
is expanded once, and a cycle is expanded at most ``max_depth`` times. Without a limit the depth is
capped at ``MAX_DEPTH`` (a supply chain has far fewer steps; the cap only bounds a cycle).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

FORWARD = "forward"
BACKWARD = "backward"
DIRECTIONS = (FORWARD, BACKWARD)
MAX_DEPTH = 64


class Edge(NamedTuple):
    id: int
    source: int
    target: int
    kind: str
    quantity: Decimal | float | None


@dataclass
class Trace:
    direction: str
    max_depth: int
    lots: dict[int, int] = field(default_factory=dict)  # lot id -> minimum depth
    edges: list[Edge] = field(default_factory=list)

    @property
    def lot_ids(self) -> set[int]:
        return set(self.lots)

    def at_depth(self, depth: int) -> set[int]:
        return {lot for lot, d in self.lots.items() if d == depth}


def trace_sql(direction: str, n_seeds: int, placeholder: str = "%s") -> str:
    """The statement for ``n_seeds`` seed ids; parameters: the seed ids, then the depth limit twice.

    Result rows: ``('L', lot_id, depth, NULL, NULL, NULL)`` per lot reached and
    ``('E', movement_id, source_id, target_id, kind, quantity)`` per movement traversed."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    if n_seeds < 1:
        raise ValueError("a trace needs at least one lot")
    # forward: from a reached lot along its outgoing movements (source -> target)
    near, far = ("source_id", "target_id") if direction == FORWARD else ("target_id", "source_id")
    seeds = ", ".join([placeholder] * n_seeds)
    return f"""
WITH RECURSIVE reach(lot_id, depth) AS (
    SELECT l.id, 0 FROM recall_lot l WHERE l.id IN ({seeds})
    UNION
    SELECT m.{far}, r.depth + 1
    FROM reach r JOIN recall_movement m ON m.{near} = r.lot_id
    WHERE r.depth < {placeholder}
),
best(lot_id, depth) AS (
    SELECT lot_id, MIN(depth) FROM reach GROUP BY lot_id
)
SELECT 'L' AS row_kind, b.lot_id AS a, b.depth AS b, CAST(NULL AS BIGINT) AS c,
       CAST(NULL AS VARCHAR(16)) AS d, CAST(NULL AS NUMERIC) AS e
FROM best b
UNION ALL
SELECT 'E', m.id, m.source_id, m.target_id, m.kind, m.quantity
FROM recall_movement m
JOIN best n ON n.lot_id = m.{near} AND n.depth < {placeholder}
JOIN best f ON f.lot_id = m.{far}
"""


def trace(cursor, lot_ids, direction: str = FORWARD, max_depth: int | None = None,
          placeholder: str = "%s") -> Trace:
    """Trace from ``lot_ids`` in ``direction`` up to ``max_depth`` steps (None: ``MAX_DEPTH``).

    ``placeholder``: the driver's parameter marker (``%s`` for Django and psycopg, ``?`` for
    DuckDB and sqlite3)."""
    ids = sorted({int(i) for i in lot_ids})
    depth = MAX_DEPTH if max_depth is None else int(max_depth)
    if depth < 0:
        raise ValueError("max_depth must be 0 or more")
    result = Trace(direction=direction, max_depth=depth)
    if not ids:
        return result
    cursor.execute(trace_sql(direction, len(ids), placeholder), [*ids, depth, depth])
    lots, edges = result.lots, result.edges
    for kind, a, b, c, d, e in cursor.fetchall():
        if kind == "L":
            lots[a] = b
        else:
            edges.append(Edge(a, b, c, d, e))
    result.edges.sort(key=lambda edge: edge.id)
    return result


def trace_lots(lot_ids, direction: str = FORWARD, max_depth: int | None = None, using: str = "default") -> Trace:
    """``trace`` on the Django database connection."""
    from django.db import connections

    with connections[using].cursor() as cursor:
        return trace(cursor, lot_ids, direction, max_depth)

"""openFDA-style queries over any model: ``search``, ``count``, ``sort``, ``limit`` / ``skip``.

The syntax is openFDA's (https://open.fda.gov/apis/query-syntax/), which is a
subset of Lucene's query string:

* ``field:term`` — a word; ``field:"a phrase"`` — a quoted phrase (``\\"`` escapes a quote);
* ``field.exact:"whole value"`` — the whole value, case-sensitive;
* ``a AND b`` binds tighter than ``a OR b``; terms side by side (``a b``, the ``+`` of a
  URL) mean OR, as in openFDA; ``NOT a`` negates; parentheses group, and
  ``field:(a OR b)`` applies the field to each term inside;
* ``field:[a TO b]`` — an inclusive range of dates (``YYYYMMDD`` or ``YYYY-MM-DD``),
  numbers or strings; ``*`` leaves an end open; ``{a TO b}`` excludes the ends;
* ``_exists_:field`` / ``_missing_:field`` — the field has a (non-empty) value or not;
* a term without a field searches every field declared ``default``.

Nothing here knows a model: a view declares a :class:`FieldMap` (API field name →
model lookup and :class:`Field` type) and calls :func:`run` with a queryset, the
request's parameters and a function that turns a row into its JSON record. Every bad
query raises :class:`QueryError` (an openFDA ``400 BAD_REQUEST``) whose message names
the parameter, the problem and, in ``search``, the 1-based character position.
"""
from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

TEXT, KEYWORD, DATE, NUMBER, CHOICE = "text", "keyword", "date", "number", "choice"
TYPES = (TEXT, KEYWORD, DATE, NUMBER, CHOICE)

MAX_LIMIT = 1000  # openFDA: the largest ``limit``
MAX_SKIP = 25000  # openFDA: the largest ``skip``
DEFAULT_LIMIT = 1  # openFDA answers one record unless asked for more
DEFAULT_COUNT_LIMIT = 100
MAX_SEARCH_LENGTH = 2000
MAX_CLAUSES = 64
MAX_DEPTH = 16


class QueryError(ValueError):
    """A bad query: the answer is ``400 {"error": {"code": "BAD_REQUEST", "message": …}}``."""

    code = "BAD_REQUEST"
    status = 400

    def __init__(self, message: str, *, parameter: str = "search", position: int | None = None):
        super().__init__(message)
        self.message = message
        self.parameter = parameter
        self.position = position

    def as_body(self) -> dict:
        error = {"code": self.code, "message": self.message, "parameter": self.parameter}
        if self.position is not None:
            error["position"] = self.position
        return {"error": error}


class NotFound(QueryError):
    """openFDA answers a query without matches with ``404 NOT_FOUND``."""

    code = "NOT_FOUND"
    status = 404


# --------------------------------------------------------------------------- field map


@dataclass(frozen=True)
class Field:
    """How an API field is searched: ``lookup`` is the ORM path (``enterprise__name``).

    ``choices`` (choice fields): stored value → label; a search accepts the value or the
    label (in English and in Chinese, any case). ``present`` turns a stored value into what
    the API shows (count terms); ``aliases``: other accepted spellings → stored value.
    ``default``: searched by terms without a field.
    """

    lookup: str
    type: str = TEXT
    choices: Mapping[str, Any] | None = None
    countable: bool = True
    sortable: bool = True
    default: bool | None = None  # None: text and keyword fields are
    present: Callable[[Any], Any] | None = None
    aliases: Mapping[str, str] | None = None

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"unknown field type {self.type!r}")
        if self.type == CHOICE and not self.choices:
            raise ValueError("a choice field needs its choices")

    @property
    def searched_by_default(self) -> bool:
        return self.type in (TEXT, KEYWORD) if self.default is None else self.default

    def show(self, value):
        if value is None:
            return None
        if self.present is not None:
            return self.present(value)
        if self.type == DATE:
            return format_date(value)
        if isinstance(value, decimal.Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        return value


class FieldMap(dict):
    """API field name → :class:`Field`, in the order the fields are documented."""

    def __init__(self, fields: Mapping[str, Field] | Iterable[tuple[str, Field]] = ()):
        super().__init__(fields)

    def names(self) -> str:
        return ", ".join(self)


def choices_of(model_field) -> dict:
    """A model field's choices as ``{value: label}`` (labels stay lazy)."""
    return {value: label for value, label in model_field.flatchoices}


def format_date(value) -> str:
    """openFDA's date form: ``YYYYMMDD``."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.strftime("%Y%m%d")


_DATE_FORMS = (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"))


def parse_date(text: str) -> datetime.date | None:
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            try:
                return datetime.date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
    return None


# --------------------------------------------------------------------------- tokens

WORD, PHRASE, RANGE, LPAREN, RPAREN, COLON, AND, OR, NOT, END = (
    "word", "phrase", "range", "(", ")", ":", "AND", "OR", "NOT", "end")
_SPECIAL = set('()":[]{}')
_OPERATORS = {"AND": AND, "&&": AND, "OR": OR, "||": OR, "NOT": NOT}


@dataclass(frozen=True)
class Token:
    kind: str
    value: Any
    pos: int  # 1-based character position in the search text


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(Token(LPAREN if ch == "(" else RPAREN, ch, i + 1))
            i += 1
        elif ch == ":":
            tokens.append(Token(COLON, ch, i + 1))
            i += 1
        elif ch == '"':
            start, i, chars = i, i + 1, []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(text[i])
                i += 1
            if i >= n:
                raise QueryError(_("Unbalanced quote: the phrase opened at position %(pos)s is not closed.")
                                 % {"pos": start + 1}, position=start + 1)
            tokens.append(Token(PHRASE, "".join(chars), start + 1))
            i += 1
        elif ch in "[{":
            start = i
            close = "]" if ch == "[" else "}"
            end = i + 1
            while end < n and text[end] not in "]}":
                end += 1
            if end >= n:
                raise QueryError(_("Unbalanced range: the range opened at position %(pos)s is not closed "
                                   "with “]” or “}”.") % {"pos": start + 1}, position=start + 1)
            inner = text[start + 1:end]
            parts = re.split(r"\s+TO\s+", inner.strip())
            if len(parts) != 2 or not all(p.strip() for p in parts):
                raise QueryError(_("A range is written [from TO to] (position %(pos)s).") % {"pos": start + 1},
                                 position=start + 1)
            tokens.append(Token(RANGE, (parts[0].strip().strip('"'), parts[1].strip().strip('"'),
                                        ch == "[", text[end] == "]"), start + 1))
            i = end + 1
        elif ch in "]}":
            raise QueryError(_("Unexpected “%(char)s” at position %(pos)s: no range is open.")
                             % {"char": ch, "pos": i + 1}, position=i + 1)
        else:
            start, chars = i, []
            while i < n and not text[i].isspace() and text[i] not in _SPECIAL:
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(text[i])
                i += 1
            word = "".join(chars)
            kind = _OPERATORS.get(word)
            tokens.append(Token(kind, word, start + 1) if kind else Token(WORD, word, start + 1))
    tokens.append(Token(END, "", n + 1))
    return tokens


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Term:
    field: str | None  # None: the default fields
    value: str
    pos: int
    phrase: bool = False
    exact: bool = False


@dataclass(frozen=True)
class Range:
    field: str
    low: str  # "*" is open
    high: str
    pos: int
    include_low: bool = True
    include_high: bool = True
    exact: bool = False


@dataclass(frozen=True)
class Exists:
    field: str
    pos: int
    missing: bool = False


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND / OR
    children: tuple


@dataclass(frozen=True)
class Not:
    child: Any


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0
        self.clauses = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self):
        node = self.parse_or(None, 0)
        if self.tok.kind == RPAREN:
            raise QueryError(_("Unbalanced parenthesis: “)” at position %(pos)s closes nothing.")
                             % {"pos": self.tok.pos}, position=self.tok.pos)
        if self.tok.kind != END:  # pragma: no cover - every other token starts a clause
            raise QueryError(_("Unexpected “%(text)s” at position %(pos)s.")
                             % {"text": self.tok.value, "pos": self.tok.pos}, position=self.tok.pos)
        return node

    def _starts_clause(self) -> bool:
        return self.tok.kind in (WORD, PHRASE, LPAREN, NOT, RANGE)

    def parse_or(self, field_, depth):
        if depth > MAX_DEPTH:
            raise QueryError(_("The search nests parentheses too deeply (at most %(n)s levels).")
                             % {"n": MAX_DEPTH}, position=self.tok.pos)
        children = [self.parse_and(field_, depth)]
        while self.tok.kind == OR or self._starts_clause():
            if self.tok.kind == OR:
                self.take()
            children.append(self.parse_and(field_, depth))
        return children[0] if len(children) == 1 else BoolOp(OR, tuple(children))

    def parse_and(self, field_, depth):
        children = [self.parse_unary(field_, depth)]
        while self.tok.kind == AND:
            self.take()
            children.append(self.parse_unary(field_, depth))
        return children[0] if len(children) == 1 else BoolOp(AND, tuple(children))

    def parse_unary(self, field_, depth):
        if self.tok.kind == NOT:
            self.take()
            return Not(self.parse_unary(field_, depth))
        return self.parse_primary(field_, depth)

    def _missing_operand(self):
        tok = self.tok
        if tok.kind == END:
            return QueryError(_("The search ends where a term was expected (position %(pos)s).")
                              % {"pos": tok.pos}, position=tok.pos)
        if tok.kind == RPAREN:
            return QueryError(_("A term was expected before “)” at position %(pos)s.")
                              % {"pos": tok.pos}, position=tok.pos)
        return QueryError(_("A term was expected at position %(pos)s, not “%(text)s”.")
                          % {"pos": tok.pos, "text": tok.value}, position=tok.pos)

    def _count(self, pos):
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise QueryError(_("The search has more than %(n)s terms.") % {"n": MAX_CLAUSES}, position=pos)

    def parse_primary(self, field_, depth):
        tok = self.tok
        if tok.kind == LPAREN:
            self.take()
            node = self.parse_or(field_, depth + 1)
            if self.tok.kind != RPAREN:
                raise QueryError(_("Unbalanced parenthesis: “(” at position %(pos)s is not closed.")
                                 % {"pos": tok.pos}, position=tok.pos)
            self.take()
            return node
        if tok.kind == WORD and self.tokens[self.i + 1].kind == COLON:
            if field_ is not None:
                raise QueryError(_("No field may be named inside “%(field)s:( … )” (position %(pos)s).")
                                 % {"field": field_, "pos": tok.pos}, position=tok.pos)
            self.take()
            self.take()
            name = tok.value
            if name in ("_exists_", "_missing_"):
                target = self.tok
                if target.kind not in (WORD, PHRASE):
                    raise QueryError(_("“%(op)s:” needs a field name (position %(pos)s).")
                                     % {"op": name, "pos": target.pos}, position=target.pos)
                self.take()
                self._count(tok.pos)
                return Exists(target.value, target.pos, missing=name == "_missing_")
            if self.tok.kind == LPAREN:
                return self.parse_primary(name, depth)
            return self.parse_value(name, tok.pos)
        if tok.kind in (WORD, PHRASE, RANGE):
            if tok.kind == RANGE and field_ is None:
                raise QueryError(_("A range needs a field: field:[from TO to] (position %(pos)s).")
                                 % {"pos": tok.pos}, position=tok.pos)
            return self.parse_value(field_, tok.pos)
        if tok.kind == COLON:
            raise QueryError(_("A field name was expected before “:” at position %(pos)s.")
                             % {"pos": tok.pos}, position=tok.pos)
        raise self._missing_operand()

    def parse_value(self, name, pos):
        tok = self.tok
        exact = False
        if name is not None and name.endswith(".exact"):
            name, exact = name[: -len(".exact")], True
        if tok.kind == WORD:
            self.take()
            self._count(pos)
            return Term(name, tok.value, pos, exact=exact)
        if tok.kind == PHRASE:
            self.take()
            self._count(pos)
            return Term(name, tok.value, pos, phrase=True, exact=exact)
        if tok.kind == RANGE:
            self.take()
            self._count(pos)
            low, high, inc_low, inc_high = tok.value
            return Range(name, low, high, pos, inc_low, inc_high, exact)
        raise QueryError(_("The field “%(field)s” at position %(pos)s has no term after “:”.")
                         % {"field": name, "pos": pos}, position=pos)


def parse(text: str):
    """The syntax tree of a ``search`` text (``None`` for an empty search)."""
    text = text or ""
    if len(text) > MAX_SEARCH_LENGTH:
        raise QueryError(_("The search is longer than %(n)s characters.") % {"n": MAX_SEARCH_LENGTH})
    if "\x00" in text:  # databases refuse NUL in a string
        pos = text.index("\x00") + 1
        raise QueryError(_("The search contains a NUL character (position %(pos)s).") % {"pos": pos},
                         position=pos)
    if not text.strip():
        return None
    return _Parser(text).parse()


# --------------------------------------------------------------------------- compiling to Q


def _field(fields: FieldMap, name: str, pos: int) -> Field:
    spec = fields.get(name)
    if spec is None:
        raise QueryError(_("Unknown field “%(field)s” at position %(pos)s; searchable fields: %(fields)s.")
                         % {"field": name, "pos": pos, "fields": fields.names()}, position=pos)
    return spec


def _labels(spec: Field) -> dict[str, str]:
    """Every accepted spelling of a choice (value, English and Chinese label), folded → value."""
    accepted = {}
    for value, label in spec.choices.items():
        accepted[str(value).casefold()] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                accepted[str(label).casefold()] = value
    for spelling, value in (spec.aliases or {}).items():
        accepted[spelling.casefold()] = value
    return accepted


def _choice(spec: Field, name: str, text: str, pos: int):
    value = _labels(spec).get(text.strip().casefold())
    if value is None:
        allowed = ", ".join(f"{v} ({label})" for v, label in spec.choices.items())
        raise QueryError(_("“%(value)s” is not a value of “%(field)s” (position %(pos)s); values: %(allowed)s.")
                         % {"value": text, "field": name, "pos": pos, "allowed": allowed}, position=pos)
    return value


def _scalar(spec: Field, name: str, text: str, pos: int):
    """A term converted to the field's type, for equality and ranges."""
    if spec.type == DATE:
        value = parse_date(text)
        if value is None:
            raise QueryError(_("“%(value)s” is not a date (position %(pos)s, field “%(field)s”); "
                               "write YYYYMMDD or YYYY-MM-DD.")
                             % {"value": text, "pos": pos, "field": name}, position=pos)
        return value
    if spec.type == NUMBER:
        try:
            value = decimal.Decimal(text)
        except decimal.InvalidOperation:
            value = None
        if value is None or not value.is_finite() or abs(value) >= 10 ** 15:
            raise QueryError(_("“%(value)s” is not a number (position %(pos)s, field “%(field)s”).")
                             % {"value": text, "pos": pos, "field": name}, position=pos)
        return value
    return text


def _nonempty(spec: Field) -> Q:
    q = Q(**{f"{spec.lookup}__isnull": False})
    if spec.type in (TEXT, KEYWORD, CHOICE):
        q &= ~Q(**{spec.lookup: ""})
    return q


def _term_q(spec: Field, name: str, node: Term) -> Q:
    value = node.value
    if spec.type == TEXT:
        if node.exact:
            return Q(**{spec.lookup: value})
        return Q(**{f"{spec.lookup}__icontains": value})
    if spec.type == KEYWORD:
        return Q(**{spec.lookup if node.exact else f"{spec.lookup}__iexact": value})
    if spec.type == CHOICE:
        return Q(**{spec.lookup: _choice(spec, name, value, node.pos)})
    return Q(**{spec.lookup: _scalar(spec, name, value, node.pos)})


def _range_q(spec: Field, name: str, node: Range) -> Q:
    if spec.type == CHOICE:
        raise QueryError(_("The field “%(field)s” has no order: a range cannot be used (position %(pos)s).")
                         % {"field": name, "pos": node.pos}, position=node.pos)
    q = Q()
    if node.low != "*":
        op = "gte" if node.include_low else "gt"
        q &= Q(**{f"{spec.lookup}__{op}": _scalar(spec, name, node.low, node.pos)})
    if node.high != "*":
        op = "lte" if node.include_high else "lt"
        q &= Q(**{f"{spec.lookup}__{op}": _scalar(spec, name, node.high, node.pos)})
    if node.low != "*" and node.high != "*" and spec.type in (DATE, NUMBER):
        low, high = _scalar(spec, name, node.low, node.pos), _scalar(spec, name, node.high, node.pos)
        if low > high:
            raise QueryError(_("The range at position %(pos)s ends before it starts.") % {"pos": node.pos},
                             position=node.pos)
    return q & _nonempty(spec)


def to_q(node, fields: FieldMap) -> Q:
    """The ``Q`` of a syntax tree against a field map (``Q()`` for no search)."""
    if node is None:
        return Q()
    if isinstance(node, BoolOp):
        q = to_q(node.children[0], fields)
        for child in node.children[1:]:
            q = (q & to_q(child, fields)) if node.op == AND else (q | to_q(child, fields))
        return q
    if isinstance(node, Not):
        return ~to_q(node.child, fields)
    if isinstance(node, Exists):
        name = node.field[: -len(".exact")] if node.field.endswith(".exact") else node.field
        q = _nonempty(_field(fields, name, node.pos))
        return ~q if node.missing else q
    if isinstance(node, Range):
        return _range_q(_field(fields, node.field, node.pos), node.field, node)
    if node.field is None:  # every default field
        q = Q()
        matched = False
        for name, spec in fields.items():
            if not spec.searched_by_default:
                continue
            try:
                term_q = _term_q(spec, name, node)
            except QueryError:
                continue
            q, matched = q | term_q, True
        if not matched:
            raise QueryError(_("The term “%(value)s” at position %(pos)s needs a field (field:term); "
                               "searchable fields: %(fields)s.")
                             % {"value": node.value, "pos": node.pos, "fields": fields.names()},
                             position=node.pos)
        return q
    return _term_q(_field(fields, node.field, node.pos), node.field, node)


def search_q(text: str, fields: FieldMap) -> Q:
    """``parse`` then ``to_q``."""
    return to_q(parse(text), fields)


# --------------------------------------------------------------------------- the other parameters


def _integer(params: Mapping, name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    text = str(raw).strip()
    if not re.fullmatch(r"\d{1,9}", text):
        raise QueryError(_("“%(name)s” must be a whole number from 0 to %(max)s, not “%(value)s”.")
                         % {"name": name, "max": maximum, "value": text[:40]}, parameter=name)
    value = int(text)
    if value > maximum:
        raise QueryError(_("“%(name)s” cannot exceed %(max)s (asked: %(value)s).")
                         % {"name": name, "max": maximum, "value": value}, parameter=name)
    return value


def parse_sort(text: str, fields: FieldMap) -> list[str]:
    """``sort=field:asc|desc[,field:asc|desc…]`` → ORDER BY expressions (nulls last)."""
    order = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        name, _sep, direction = part.partition(":")
        name = name.strip()
        if name.endswith(".exact"):
            name = name[: -len(".exact")]
        direction = (direction or "asc").strip().lower()
        spec = fields.get(name)
        if spec is None or not spec.sortable:
            sortable = ", ".join(n for n, s in fields.items() if s.sortable)
            raise QueryError(_("Cannot sort by “%(field)s”; sortable fields: %(fields)s.")
                             % {"field": name, "fields": sortable}, parameter="sort")
        if direction not in ("asc", "desc"):
            raise QueryError(_("Sort direction of “%(field)s” must be asc or desc, not “%(dir)s”.")
                             % {"field": name, "dir": direction}, parameter="sort")
        expr = F(spec.lookup)
        order.append(expr.desc(nulls_last=True) if direction == "desc" else expr.asc(nulls_last=True))
    return order


def parse_count(text: str, fields: FieldMap) -> tuple[str, Field] | None:
    name = (text or "").strip()
    if not name:
        return None
    if name.endswith(".exact"):
        name = name[: -len(".exact")]
    spec = fields.get(name)
    if spec is None or not spec.countable:
        countable = ", ".join(n for n, s in fields.items() if s.countable)
        raise QueryError(_("Cannot count “%(field)s”; countable fields: %(fields)s.")
                         % {"field": text.strip()[:60], "fields": countable}, parameter="count")
    return name, spec


@dataclass
class Query:
    """A parsed and checked request: every parameter is validated before anything is read."""

    q: Q = field(default_factory=Q)
    order: list = field(default_factory=list)
    count: tuple[str, Field] | None = None
    limit: int = DEFAULT_LIMIT
    skip: int = 0

    @classmethod
    def from_params(cls, params: Mapping, fields: FieldMap) -> Query:
        count = parse_count(params.get("count", ""), fields)
        default_limit = DEFAULT_COUNT_LIMIT if count else DEFAULT_LIMIT
        return cls(q=search_q(params.get("search", ""), fields), order=parse_sort(params.get("sort", ""), fields),
                   count=count, limit=_integer(params, "limit", default_limit, MAX_LIMIT),
                   skip=_integer(params, "skip", 0, MAX_SKIP))

    def counts(self, queryset: QuerySet) -> list[dict]:
        """``[{term, count}]`` by count (descending) then term; a date field: ``[{time, count}]`` by time."""
        _name, spec = self.count
        rows = (queryset.filter(self.q).filter(_nonempty(spec)).order_by().values(spec.lookup)
                .annotate(n=Count("pk", distinct=True)))
        if spec.type == DATE:
            rows = rows.order_by(spec.lookup)
            key = "time"
        else:
            rows = rows.order_by("-n", spec.lookup)
            key = "term"
        rows = rows[self.skip:self.skip + self.limit]
        return [{key: spec.show(row[spec.lookup]), "count": row["n"]} for row in rows]

    def page(self, queryset: QuerySet) -> tuple[int, list]:
        """(total, the rows of the page) in the requested order, the primary key breaking ties."""
        matching = queryset.filter(self.q)
        total = matching.count()
        rows = list(matching.order_by(*self.order, "pk")[self.skip:self.skip + self.limit]) if self.limit else []
        return total, rows


def run(queryset: QuerySet, params: Mapping, fields: FieldMap, record: Callable[[Any], dict],
        meta: dict | Callable[[], dict] | None = None) -> tuple[int, dict]:
    """Answer an openFDA request: ``(status, body)``.

    ``200 {"meta": {…, "results": {"skip", "limit", "total"}}, "results": [records]}``; with
    ``count``: ``{"meta": {…}, "results": [{"term", "count"}]}``; a bad query ``400`` and no
    match ``404`` as ``{"error": {"code", "message", "parameter"[, "position"]}}``. ``meta`` may be
    a function: it is called only for an answer (a bad query costs no database work).
    """
    try:
        query = Query.from_params(params, fields)
        meta = dict((meta() if callable(meta) else meta) or {})
        if query.count:
            results = query.counts(queryset)
            if not results:
                raise NotFound(_("No matches found!"))
            return 200, {"meta": meta, "results": results}
        total, rows = query.page(queryset)
        if not total:
            raise NotFound(_("No matches found!"))
        meta["results"] = {"skip": query.skip, "limit": query.limit, "total": total}
        return 200, {"meta": meta, "results": [record(row) for row in rows]}
    except QueryError as exc:
        return exc.status, exc.as_body()

"""Indicator expressions (DHIS2-style): ``#{qualified_batches_agri} / #{tested_batches_agri} * 100``.

A small recursive-descent parser over numbers, ``#{code}`` references to data elements, the
operators ``+ - * /`` (usual precedence, left-associative), unary minus and parentheses. No
``eval``: the text is parsed into a tree of tuples and evaluated over a mapping of element
values. Errors name the position (1-based character) and, for references, the code.

Evaluation gives ``(value, reason)``: a missing element value or a division by zero gives
``(None, reason)`` — "no value", never an error and never a zero.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<ref>#\{(?P<code>[^}]*)\})|(?P<op>[-+*/()]))")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class ExpressionError(ValueError):
    def __init__(self, message: str, position: int | None = None, code: str | None = None):
        self.position = position
        self.code = code
        super().__init__(message if position is None else f"{message} (at position {position})")


def tokenize(text: str) -> list[tuple[str, object, int]]:
    tokens, pos, text = [], 0, text or ""
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            where = pos + len(text[pos:]) - len(text[pos:].lstrip())
            raise ExpressionError(f"unexpected character {text[where]!r}", where + 1)
        start = m.start(m.lastgroup) + 1
        if m.group("num") is not None:
            tokens.append(("num", Decimal(m.group("num")), start))
        elif m.group("ref") is not None:
            code = m.group("code").strip()
            if not CODE.match(code):
                raise ExpressionError(f"malformed data-element code {code!r}", start, code)
            tokens.append(("ref", code, start))
        else:
            tokens.append(("op", m.group("op"), start))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text):
        self.tokens = tokenize(text)
        self.i = 0
        self.end = len(text or "") + 1

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def expr(self):
        node = self.term()
        while (tok := self.peek()) and tok[0] == "op" and tok[1] in "+-":
            self.take()
            node = (tok[1], node, self.term())
        return node

    def term(self):
        node = self.factor()
        while (tok := self.peek()) and tok[0] == "op" and tok[1] in "*/":
            self.take()
            node = (tok[1], node, self.factor())
        return node

    def factor(self):
        tok = self.take()
        if tok is None:
            raise ExpressionError("expression ends too early", self.end)
        kind, value, pos = tok
        if kind == "num":
            return ("num", value)
        if kind == "ref":
            return ("ref", value, pos)
        if value == "-":
            return ("neg", self.factor())
        if value == "(":
            node = self.expr()
            close = self.take()
            if close is None or close[1] != ")":
                raise ExpressionError("missing closing parenthesis", close[2] if close else self.end)
            return node
        raise ExpressionError(f"unexpected {value!r}", pos)


def parse(text: str, known_codes=None):
    """The expression tree; ``known_codes`` (a set) makes unknown references an error."""
    if not (text or "").strip():
        raise ExpressionError("empty expression", 1)
    p = _Parser(text)
    tree = p.expr()
    if p.peek() is not None:
        tok = p.peek()
        raise ExpressionError(f"unexpected {tok[1]!r}", tok[2])
    if known_codes is not None:
        for code, pos in references_with_positions(tree):
            if code not in known_codes:
                raise ExpressionError(f"unknown data element #{{{code}}}", pos, code)
    return tree


def references_with_positions(tree):
    if tree[0] == "ref":
        yield tree[1], tree[2]
    elif tree[0] == "neg":
        yield from references_with_positions(tree[1])
    elif tree[0] != "num":
        yield from references_with_positions(tree[1])
        yield from references_with_positions(tree[2])


def references(text: str) -> list[str]:
    """The data-element codes an expression refers to, in order of first use."""
    seen = []
    for code, _pos in references_with_positions(parse(text)):
        if code not in seen:
            seen.append(code)
    return seen


def evaluate(tree, values: dict) -> tuple[Decimal | None, str]:
    """``(value, "")`` or ``(None, reason)``; ``values`` maps codes to Decimals (absent = no data)."""
    kind = tree[0]
    if kind == "num":
        return tree[1], ""
    if kind == "ref":
        v = values.get(tree[1])
        if v is None:
            return None, f"no data for #{{{tree[1]}}}"
        return Decimal(v), ""
    if kind == "neg":
        v, why = evaluate(tree[1], values)
        return (None, why) if v is None else (-v, "")
    a, why = evaluate(tree[1], values)
    if a is None:
        return None, why
    b, why = evaluate(tree[2], values)
    if b is None:
        return None, why
    if kind == "+":
        return a + b, ""
    if kind == "-":
        return a - b, ""
    if kind == "*":
        return a * b, ""
    if b == 0:
        return None, "division by zero"
    try:
        return a / b, ""
    except InvalidOperation:  # pragma: no cover - Decimal context limits
        return None, "division by zero"

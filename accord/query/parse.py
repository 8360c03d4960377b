"""JSON condition tree → checked filter: every path resolved, every operator allowed for its
field, every operand coerced. Anything wrong becomes ``Invalid("INVALID_FILTER")`` listing all
problems found (up to ``MAX_PROBLEMS``), each at a location such as ``filter.and[1].op``.

Nothing else may escape for any input (garbage JSON, huge strings, NaN, deep nesting): limits
are checked before work, and field-type code is called inside ``try``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from accord.core.errors import FieldError, Invalid
from accord.meta.operators import (
    ALL_OPERATORS,
    NULL_OPS,
    RELATIVE_DATE_OPS,
    RELATIVE_DATE_OPS_WITH_N,
    TEXT_OPS,
)
from accord.query.ast import ME_TOKEN, And, Leaf, Node, Not, Or, leaves
from accord.query.paths import FieldRef, PathError, RegistryLike, resolve_path
from accord.query.values import MAX_TEXT_OPERAND, OperandError, check_text, ref_id, to_kind

MAX_DEPTH = 10  # a leaf directly under the root group is at depth 2
MAX_LEAVES = 200
MAX_NODES = 1_000  # groups included: bounds the work on wide trees of empty groups
MAX_LIST = 1_000  # values of in / not_in / has_*
MAX_DAYS = 36_500  # n of in_last & co.
MAX_PATTERN = 1_000  # characters of a contains / starts_with / ends_with operand
MAX_JSON_CHARS = 1_000_000

LIST_OPS = frozenset({"in", "not_in", "has_any", "has_all", "has_none"})
MAX_PROBLEMS = 50

# Error codes of FieldError.code, documented in README.md.
UNKNOWN_FIELD = "UNKNOWN_FIELD"
UNKNOWN_OPERATOR = "UNKNOWN_OPERATOR"
OPERATOR_NOT_ALLOWED = "OPERATOR_NOT_ALLOWED"
INVALID_VALUE = "INVALID_VALUE"
MISSING_VALUE = "MISSING_VALUE"
TOO_COMPLEX = "TOO_COMPLEX"
MALFORMED = "MALFORMED"

_LEAF_KEYS = frozenset({"field", "op", "value"})
_GROUP_KEYS = frozenset({"and", "or", "not"})


@dataclass(frozen=True)
class CheckedFilter:
    """A valid filter on ``object``; ``node`` None matches every record."""

    object: str
    node: Node | None
    fields: Mapping[str, FieldRef] = field(default_factory=dict)

    @property
    def leaves(self) -> list[Leaf]:
        return [] if self.node is None else leaves(self.node)


def invalid_filter(errors: list[FieldError], message: str = "The filter is not valid.") -> Invalid:
    return Invalid("INVALID_FILTER", message, errors=errors)


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_filter(
    raw: Any, reg: RegistryLike, obj_name: str, *, location: str = "filter"
) -> CheckedFilter:
    """Check ``raw`` (decoded JSON, or JSON text) as a filter on ``obj_name``."""
    if isinstance(raw, bytes | bytearray):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid_filter([FieldError(location, MALFORMED, "not UTF-8 text")]) from None
    if isinstance(raw, str):
        if len(raw) > MAX_JSON_CHARS:
            raise invalid_filter([FieldError(location, TOO_COMPLEX, "the filter is too long")])
        try:
            raw = json.loads(raw)
        except RecursionError:
            raise invalid_filter(
                [FieldError(location, TOO_COMPLEX, "the filter is nested too deeply")]
            ) from None
        except ValueError as exc:
            raise invalid_filter([FieldError(location, MALFORMED, f"not JSON: {exc}")]) from None
    if raw is None or (isinstance(raw, Mapping) and len(raw) == 0):
        return CheckedFilter(obj_name, None, {})
    parser = _Parser(reg, obj_name)
    node = parser.node(raw, location, 1)
    if parser.problems:
        raise invalid_filter(parser.problems)
    assert node is not None
    return CheckedFilter(obj_name, node, parser.fields)


class _Stop(Exception):
    """Raised when enough problems are collected, or a limit makes going on pointless."""


class _Parser:
    def __init__(self, reg: RegistryLike, obj_name: str) -> None:
        self.reg = reg
        self.obj_name = obj_name
        self.problems: list[FieldError] = []
        self.fields: dict[str, FieldRef] = {}
        self.n_leaves = 0
        self.n_nodes = 0

    def problem(self, loc: str, code: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(FieldError(loc, code, message))

    def node(self, raw: Any, loc: str, depth: int) -> Node | None:
        try:
            return self._node(raw, loc, depth)
        except _Stop:
            return None

    def _node(self, raw: Any, loc: str, depth: int) -> Node | None:
        self.n_nodes += 1
        if self.n_nodes > MAX_NODES:
            self.problem(loc, TOO_COMPLEX, f"a filter may have at most {MAX_NODES} conditions")
            raise _Stop
        if depth > MAX_DEPTH:
            self.problem(loc, TOO_COMPLEX, f"a filter may be nested at most {MAX_DEPTH} deep")
            return None
        if not isinstance(raw, Mapping):
            self.problem(loc, MALFORMED, "expected an object ({and|or|not} or a condition)")
            return None
        keys = set(raw)
        groups = keys & _GROUP_KEYS
        if groups:
            if len(keys) != 1:
                self.problem(loc, MALFORMED, "a group has exactly one key: and, or or not")
                return None
            key = next(iter(groups))
            if key == "not":
                item = self._node(raw["not"], f"{loc}.not", depth + 1)
                return None if item is None else Not(item)
            items = raw[key]
            if not isinstance(items, list | tuple):
                self.problem(f"{loc}.{key}", MALFORMED, "expected a list of conditions")
                return None
            if len(items) > MAX_LEAVES:
                self.problem(f"{loc}.{key}", TOO_COMPLEX, f"at most {MAX_LEAVES} conditions")
                raise _Stop
            children = [self._node(x, f"{loc}.{key}[{i}]", depth + 1) for i, x in enumerate(items)]
            if any(c is None for c in children):
                return None
            kids = tuple(c for c in children if c is not None)
            return And(kids) if key == "and" else Or(kids)
        return self._leaf(raw, loc)

    def _leaf(self, raw: Mapping[Any, Any], loc: str) -> Leaf | None:
        self.n_leaves += 1
        if self.n_leaves > MAX_LEAVES:
            self.problem(loc, TOO_COMPLEX, f"a filter may have at most {MAX_LEAVES} conditions")
            raise _Stop
        extra = [k for k in raw if k not in _LEAF_KEYS]
        if extra:
            self.problem(loc, MALFORMED, f"unexpected key(s): {_short(extra)}")
            return None
        path, op = raw.get("field"), raw.get("op")
        ok = True
        if not isinstance(path, str):
            self.problem(f"{loc}.field", MALFORMED, "expected the field's name (a string)")
            ok = False
        if not isinstance(op, str):
            self.problem(f"{loc}.op", MALFORMED, "expected an operator (a string)")
            ok = False
        elif op not in ALL_OPERATORS:
            self.problem(f"{loc}.op", UNKNOWN_OPERATOR, f"unknown operator {_short(op)}")
            ok = False
        if not isinstance(path, str):
            return None
        try:
            ref = resolve_path(self.reg, self.obj_name, path)
        except PathError as exc:
            self.problem(f"{loc}.field", UNKNOWN_FIELD, exc.message)
            return None
        if not ok:
            return None
        assert isinstance(op, str)
        if op not in ref.operators:
            allowed = ", ".join(sorted(ref.operators))
            self.problem(
                f"{loc}.op", OPERATOR_NOT_ALLOWED, f"{op} is not allowed on {path} ({allowed})"
            )
            return None
        try:
            value = operand(self.reg, ref, op, raw.get("value"), "value" in raw)
        except _ValueProblem as exc:
            self.problem(f"{loc}.value{exc.suffix}", exc.code, exc.message)
            return None
        self.fields[ref.key] = ref
        return Leaf(ref.key, op, value)


class _ValueProblem(Exception):
    def __init__(self, code: str, message: str, suffix: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.suffix = code, message, suffix


def operand(reg: RegistryLike, ref: FieldRef, op: str, raw: Any, given: bool) -> Any:
    """The coerced operand of ``op`` on ``ref``; raises ``_ValueProblem``."""
    if op in NULL_OPS or (op in RELATIVE_DATE_OPS and op not in RELATIVE_DATE_OPS_WITH_N):
        if given and raw is not None:
            raise _ValueProblem(INVALID_VALUE, f"{op} takes no value")
        return None
    if raw is None:
        raise _ValueProblem(MISSING_VALUE, f"{op} needs a value")
    if op in RELATIVE_DATE_OPS_WITH_N:
        return _days(raw)
    if op in LIST_OPS:
        if not isinstance(raw, list | tuple):
            raise _ValueProblem(INVALID_VALUE, f"{op} takes a list of values")
        if not raw:
            raise _ValueProblem(MISSING_VALUE, f"{op} takes a non-empty list")
        if len(raw) > MAX_LIST:
            raise _ValueProblem(INVALID_VALUE, f"{op} takes at most {MAX_LIST} values")
        if op in ("in", "not_in"):
            items = [_scalar_at(reg, ref, v, f"[{i}]") for i, v in enumerate(raw)]
        else:
            items = _elements(reg, ref, raw)
        return tuple(dict.fromkeys(items))  # unique, order kept
    if op == "between":
        if not isinstance(raw, list | tuple) or len(raw) != 2:
            raise _ValueProblem(INVALID_VALUE, "between takes [low, high]")
        return (_scalar_at(reg, ref, raw[0], "[0]"), _scalar_at(reg, ref, raw[1], "[1]"))
    if op in TEXT_OPS:
        try:
            text = check_text(raw)
        except OperandError as exc:
            raise _ValueProblem(exc.code, exc.message) from None
        if text == "":
            raise _ValueProblem(MISSING_VALUE, f"{op} needs a non-empty text")
        if len(text) > MAX_PATTERN:
            raise _ValueProblem(INVALID_VALUE, f"at most {MAX_PATTERN} characters")
        return text
    return _scalar_at(reg, ref, raw, "")


def _scalar_at(reg: RegistryLike, ref: FieldRef, raw: Any, suffix: str) -> Any:
    try:
        return scalar(reg, ref, raw)
    except OperandError as exc:
        raise _ValueProblem(exc.code, exc.message, suffix) from None


def scalar(reg: RegistryLike, ref: FieldRef, raw: Any) -> Any:
    """One comparison operand: through the field type's ``coerce`` for whole fields, then made
    exact for the kind. Raises ``OperandError``."""
    if raw is None:
        raise OperandError(MISSING_VALUE, "a value is required (use is_null for empty)")
    if ref.kind == "ref" and raw == ME_TOKEN:
        return ref_id(raw, allow_me=True)
    if isinstance(raw, str) and len(raw) > MAX_TEXT_OPERAND:
        raise OperandError(INVALID_VALUE, f"longer than {MAX_TEXT_OPERAND} characters")
    value = raw
    if ref.typed and ref.field is not None:
        value = _type_coerce(reg, ref, raw)
    value = to_kind(ref.kind, value)
    if value is None or value == "":
        raise OperandError(MISSING_VALUE, "a value is required (use is_null for empty)")
    return value


def _type_coerce(reg: RegistryLike, ref: FieldRef, raw: Any) -> Any:
    assert ref.field is not None
    ftype = reg.field_type(ref.field)
    # Generic validation (min, max, regex, lengths) rules what may be stored, not what may be
    # searched for: ``amount lt 0`` must stay expressible to find bad data.
    fdef = ref.field.with_(validation={}) if ref.field.validation else ref.field
    first: Exception | None = None
    # The raw value first (a type may normalise text, e.g. an e-mail address), then the value
    # made exact for the kind (query strings carry "true" or "500000" as text).
    for candidate in (raw, None):
        try:
            if candidate is None:
                candidate = to_kind(ref.kind, raw)
            return ftype.coerce(candidate, fdef)
        except Exception as exc:  # FieldValueError, or anything a type raises on odd input
            first = first or exc
    message = getattr(first, "message", None) or "not a valid value for this field"
    raise OperandError(INVALID_VALUE, str(message))


def _elements(reg: RegistryLike, ref: FieldRef, raw: list[Any] | tuple[Any, ...]) -> list[Any]:
    """Operands of has_any / has_all / has_none: strings for arrays, record ids for links."""
    out: list[Any] = []
    for i, v in enumerate(raw):
        try:
            out.append(to_kind(ref.kind, v))
        except OperandError as exc:
            raise _ValueProblem(exc.code, exc.message, f"[{i}]") from None
        if out[-1] == "":
            raise _ValueProblem(MISSING_VALUE, "values must not be empty", f"[{i}]")
    if ref.kind == "array" and ref.typed and ref.field is not None:
        try:
            coerced = reg.field_type(ref.field).coerce(list(out), ref.field.with_(validation={}))
        except Exception as exc:  # e.g. a choice that does not exist
            message = getattr(exc, "message", None) or "not a valid value for this field"
            raise _ValueProblem(INVALID_VALUE, str(message)) from None
        if not isinstance(coerced, list | tuple) or not coerced:
            raise _ValueProblem(INVALID_VALUE, "not a valid value for this field")
        try:
            out = [check_text(v) for v in coerced]
        except OperandError as exc:
            raise _ValueProblem(exc.code, exc.message) from None
    return out


def _days(raw: Any) -> int:
    if isinstance(raw, str) and re.fullmatch(r"[0-9]{1,6}", raw.strip()):
        raw = int(raw.strip())
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_DAYS:
        raise _ValueProblem(INVALID_VALUE, f"expected a whole number of days from 1 to {MAX_DAYS}")
    return raw


# --- the query-string form ------------------------------------------------------------------

_NULL_TRUE = frozenset({"", "true", "1"})
_NULL_FALSE = frozenset({"false", "0"})
_PAIR_LOC = re.compile(r"^filter\.and\[(\d+)\]")


def parse_query_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``[("amount__gt", "500000"), ("stage__in", "won,lost")]`` → ``{"and": [...]}``.

    ``field__op=value``; no ``__op`` means ``eq``. List operators split on commas (items
    stripped), ``between`` takes ``low,high``, ``is_null=false`` means ``is_not_null``, relative
    dates take ``n`` (``created_at__in_last=7``) or nothing. Values stay text; ``parse_filter``
    coerces them through the field types. Problems are reported at the parameter's name.
    """
    out: list[dict[str, Any]] = []
    problems: list[FieldError] = []
    for n, pair in enumerate(pairs):
        if n >= MAX_LEAVES:
            problems.append(FieldError("filter", TOO_COMPLEX, f"at most {MAX_LEAVES} conditions"))
            break
        try:
            key, text = pair
        except (TypeError, ValueError):
            problems.append(FieldError("filter", MALFORMED, "expected name=value pairs"))
            continue
        if not isinstance(key, str) or not isinstance(text, str):
            problems.append(FieldError(_short(key), MALFORMED, "expected name=value text"))
            continue
        path, op = key, "eq"
        if "__" in key:
            path, _, op = key.rpartition("__")
            if op not in ALL_OPERATORS:
                problems.append(FieldError(key, UNKNOWN_OPERATOR, f"unknown operator {op!r}"))
                continue
        leaf: dict[str, Any] = {"field": path, "op": op}
        if op in NULL_OPS:
            flag = text.strip().lower()
            if flag not in _NULL_TRUE | _NULL_FALSE:
                problems.append(FieldError(key, INVALID_VALUE, "expected true or false"))
                continue
            if flag in _NULL_FALSE:
                leaf["op"] = "is_not_null" if op == "is_null" else "is_null"
        elif op in RELATIVE_DATE_OPS and op not in RELATIVE_DATE_OPS_WITH_N:
            if text.strip().lower() not in _NULL_TRUE:
                problems.append(FieldError(key, INVALID_VALUE, f"{op} takes no value"))
                continue
        elif op in LIST_OPS:
            leaf["value"] = [s.strip() for s in text.split(",")] if text.strip() else []
        elif op == "between":
            leaf["value"] = [s.strip() for s in text.split(",")]
        else:
            leaf["value"] = text
        out.append(leaf)
    if problems:
        raise invalid_filter(problems)
    return {"and": out}


def parse_query_filter(
    pairs: Iterable[tuple[str, str]], reg: RegistryLike, obj_name: str
) -> CheckedFilter:
    """``parse_query_pairs`` then ``parse_filter``, with problems located at parameter names."""
    pairs = list(pairs)[: MAX_LEAVES + 1]
    tree = parse_query_pairs(pairs)
    keys = [str(p[0]) for p in pairs]
    try:
        return parse_filter(tree, reg, obj_name)
    except Invalid as exc:
        errors = []
        for e in exc.errors:
            m = _PAIR_LOC.match(e.field or "")
            name = keys[int(m.group(1))] if m and int(m.group(1)) < len(keys) else e.field
            errors.append(FieldError(name, e.code, e.message))
        raise invalid_filter(errors) from None

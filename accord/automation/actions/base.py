"""What every action type provides, and the helpers they share (values and expressions).

An action type is one small class in one module, registered by name in ``registry.py``:

- ``check(cc, spec, where)`` — save-time problems (unknown fields, type mismatches, bad
  recipients …) as ``FieldError``s whose ``field`` is a path into the rule (``actions[1].values.x``)
  and whose ``code`` is a stable ``automation.E0xx`` id;
- ``writes(spec)`` — the fields of the rule's own record it sets (for the cycle check);
- ``run(ax, spec)`` — do it, inside the record's savepoint; returns what it did (execution log);
- ``preview(ax, spec)`` — what it would do, without writing (dry run).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from accord.automation.model import Rule
from accord.core.context import Context
from accord.core.errors import FieldError
from accord.meta.expression import (
    EvalContext,
    Expr,
    ExpressionError,
    evaluate,
    infer_type,
    parse,
    references,
)
from accord.meta.fieldtypes.base import FieldValueError
from accord.meta.model import SYSTEM_COLUMNS
from accord.meta.registry import Registry
from accord.records.codec import ObjectCodec, codec

E_ACTION = "automation.E004"  # unknown action type or malformed action
E_FIELD = "automation.E005"  # unknown or unwritable field
E_VALUE = "automation.E006"  # value of the wrong type
E_EXPR = "automation.E007"  # expression does not parse or uses unknown fields
E_RECIPIENT = "automation.E008"
E_TEMPLATE = "automation.E009"
E_WEBHOOK = "automation.E010"
E_UNAVAILABLE = "automation.E012"
E_TEAM = "automation.E015"

# System fields an action may set (the rest are maintained by the record service).
WRITABLE_SYSTEM = frozenset({"owner_id"})
# Expression result kinds each field kind accepts.
_ACCEPTS = {
    "number": {"number"},
    "integer": {"number"},
    "decimal": {"number"},
    "text": {"text"},
    "date": {"date"},
    "datetime": {"datetime", "date"},
    "boolean": {"boolean"},
}


@dataclass
class CheckContext:
    ctx: Context
    reg: Registry
    rule_object: str


@dataclass
class ActionContext:
    """One record being acted on. ``ctx`` is the system actor one automation step deeper than
    the change that triggered the rule; ``record`` is the record as the previous action left it.
    """

    ctx: Context
    reg: Registry
    rule: Rule
    record: dict[str, Any]
    ectx: EvalContext
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def object_name(self) -> str:
        return self.rule.object_name

    @property
    def record_id(self) -> str:
        return str(self.record["id"])


class ActionType(ABC):
    type: ClassVar[str]

    @abstractmethod
    def check(self, cc: CheckContext, spec: Mapping[str, Any], where: str) -> list[FieldError]: ...

    def writes(self, spec: Mapping[str, Any]) -> frozenset[str]:
        return frozenset()

    @abstractmethod
    def run(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]: ...

    @abstractmethod
    def preview(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]: ...


def problem(where: str, code: str, message: str) -> FieldError:
    return FieldError(where, code, message)


# --- values and expressions ------------------------------------------------------------------


def _expr_value(v: Any) -> Any:
    if isinstance(v, Mapping) and "amount" in v:  # money: the expression sees its amount
        return v["amount"]
    if isinstance(v, Decimal | int) and not isinstance(v, bool):
        return Decimal(v)
    return v


def expression(source: str) -> Expr:
    return parse(source)


def evaluate_on(source: str, record: Mapping[str, Any], ectx: EvalContext) -> Any:
    """``source`` evaluated with the triggering record's own fields (``amount``, ``owner_id``,
    ``id``); ``today()``/``now()`` from the rule's clock."""
    return evaluate(parse(source), lambda path: _expr_value(record.get(path[0])), ectx)


def jsonish(v: Any) -> Any:
    """An expression result as the record service accepts it on input."""
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


def field_kinds(reg: Registry, obj: str) -> dict[tuple[str, ...], str]:
    """Expression kinds of the object's own fields (for type inference at save time)."""
    c = codec(reg, obj)
    kinds: dict[tuple[str, ...], str] = {
        ("id",): "text",
        ("owner_id",): "text",
        ("created_by",): "text",
        ("updated_by",): "text",
        ("created_at",): "datetime",
        ("updated_at",): "datetime",
        ("version",): "number",
    }
    for name, fc in c.fields.items():
        kinds[(name,)] = str(fc.type.value_kind(fc.field))
    return kinds


def check_values(
    cc: CheckContext, target: str, spec: Mapping[str, Any], where: str
) -> list[FieldError]:
    """``values`` (literals) and ``expressions`` (read the triggering record) for fields of
    ``target``: every field must exist and be writable, every value must fit its type."""
    out: list[FieldError] = []
    try:
        c = codec(cc.reg, target)
    except Exception:
        return [problem(where, E_FIELD, f"there is no object {target!r}")]
    values = spec.get("values") or {}
    exprs = spec.get("expressions") or {}
    if not isinstance(values, Mapping) or not isinstance(exprs, Mapping):
        return [problem(where, E_ACTION, "values and expressions must be objects")]
    if not values and not exprs:
        return [problem(where, E_ACTION, "give at least one field in values or expressions")]
    kinds = field_kinds(cc.reg, cc.rule_object)
    for part, items in (("values", values), ("expressions", exprs)):
        for name, raw in items.items():
            at = f"{where}.{part}.{name}"
            fc = c.fields.get(name)
            if fc is None and name not in WRITABLE_SYSTEM:
                known = "" if name not in SYSTEM_COLUMNS else " (a system field rules cannot set)"
                out.append(problem(at, E_FIELD, f"{target} has no writable field {name!r}{known}"))
                continue
            if fc is not None and (fc.type.computed or not fc.type.stored):
                out.append(problem(at, E_FIELD, f"{target}.{name} is computed, not set"))
                continue
            if part == "values":
                out += _check_literal(c, name, raw, at)
            else:
                out += _check_expression(c, name, raw, kinds, at)
    return out


def _check_literal(c: ObjectCodec, name: str, raw: Any, at: str) -> list[FieldError]:
    if name == "owner_id":
        return [] if isinstance(raw, str) else [problem(at, E_VALUE, "owner_id must be a user id")]
    fc = c.fields[name]
    try:
        fc.type.coerce(raw, fc.field)
    except FieldValueError as exc:
        return [problem(at, E_VALUE, f"{raw!r} does not fit {fc.field.type} field {name}: {exc}")]
    return []


def _check_expression(
    c: ObjectCodec, name: str, raw: Any, kinds: Mapping[tuple[str, ...], str], at: str
) -> list[FieldError]:
    if not isinstance(raw, str) or not raw.strip():
        return [problem(at, E_EXPR, "an expression must be non-empty text")]
    try:
        expr = parse(raw)
        deep = sorted(".".join(p) for p in references(expr) if len(p) > 1)
        if deep:
            return [problem(at, E_EXPR, f"expressions read the record's own fields, not {deep}")]
        got = infer_type(expr, kinds)
    except ExpressionError as exc:
        return [problem(at, E_EXPR, f"expression {raw!r}: {exc.message}")]
    want = (
        "text" if name == "owner_id" else str(c.fields[name].type.value_kind(c.fields[name].field))
    )
    accepted = _ACCEPTS.get(want)
    if got != "any" and accepted is not None and got not in accepted:
        return [problem(at, E_VALUE, f"expression gives a {got}, but {name} holds a {want}")]
    return []


def resolve_values(ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The literal values plus the evaluated expressions, ready for the record service."""
    out = dict(spec.get("values") or {})
    for name, src in (spec.get("expressions") or {}).items():
        out[name] = jsonish(evaluate_on(src, ax.record, ax.ectx))
    return out

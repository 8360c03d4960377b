"""The formula / automation expression language: parser, printer, evaluator, type inference."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Context, Decimal, InvalidOperation, localcontext
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from accord.meta.expression import (
    ERROR_CODES,
    EXPR_ARITY,
    EXPR_SYNTAX,
    EXPR_TOO_COMPLEX,
    EXPR_TYPE,
    EXPR_UNKNOWN_FIELD,
    EXPR_UNKNOWN_FUNCTION,
    REGISTRY,
    Binary,
    Boolean,
    Call,
    EvalContext,
    Expr,
    ExpressionError,
    FieldRef,
    Null,
    Number,
    String,
    Unary,
    evaluate,
    infer_type,
    parse,
    references,
    to_source,
)
from accord.meta.expression.functions import arity_problem
from accord.meta.expression.lexer import KEYWORDS
from accord.meta.expression.nodes import BINARY_OPS, depth

TODAY = date(2026, 1, 15)
NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
CTX = EvalContext(today=TODAY, now=NOW)
D = Decimal

VALUES: dict[tuple[str, ...], Any] = {
    ("amount",): D("1500.50"),
    ("qty",): 3,
    ("rate",): 0.1,
    ("name",): "Acme",
    ("empty",): "",
    ("nothing",): None,
    ("active",): True,
    ("closed",): date(2026, 1, 31),
    ("created",): datetime(2026, 1, 10, 12, 0, tzinfo=UTC),
    ("customer", "industry"): "Tech",
}


def ev(source: str, values: Any = None, ctx: EvalContext = CTX) -> Any:
    return evaluate(parse(source), VALUES if values is None else values, ctx)


def error_of(source: str, values: Any = None, ctx: EvalContext = CTX) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        ev(source, values, ctx)
    return info.value


# --- literals and field references ---------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("42", D(42)),
        ("3.25", D("3.25")),
        ("'single'", "single"),
        ('"double"', "double"),
        (r'"a\"b\\c\nd\te"', 'a"b\\c\nd\te'),
        (r"'it\'s'", "it's"),
        (r'"\u00e9"', "é"),
        ("true", True),
        ("FALSE", False),
        ("Null", None),
        ("TRUE and True", True),
    ],
)
def test_literals(source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected
    assert type(result) is type(expected)


def test_numbers_are_decimals_never_floats() -> None:
    assert ev("0.1 + 0.2") == D("0.3")
    assert isinstance(ev("rate * 3"), Decimal)
    assert ev("rate * 3") == D("0.3")  # floats enter through repr, not their binary expansion
    assert ev("qty") == D(3)


def test_field_paths_and_references() -> None:
    expr = parse("IF(customer.industry = 'Tech', amount * 2, customer.owner.name)")
    assert references(expr) == {
        ("customer", "industry"),
        ("amount",),
        ("customer", "owner", "name"),
    }
    assert ev("customer.industry") == "Tech"
    assert references(parse("1 + TODAY()")) == set()


def test_values_callable_is_asked_for_each_path() -> None:
    asked: list[tuple[str, ...]] = []

    def lookup(path: tuple[str, ...]) -> Any:
        asked.append(path)
        return len(path)

    assert evaluate(parse("a + b.c + IF(false, d, 0)"), lookup, CTX) == D(3)
    assert asked == [("a",), ("b", "c")]  # the untaken IF branch is never fetched


def test_missing_field_in_mapping_is_unknown_field_with_position() -> None:
    err = error_of("1 + missing", {})
    assert err.code == EXPR_UNKNOWN_FIELD
    assert err.position == 4
    assert "missing" in err.message


def test_callable_may_raise_unknown_field_and_gets_a_position() -> None:
    def lookup(path: tuple[str, ...]) -> Any:
        raise ExpressionError(EXPR_UNKNOWN_FIELD, f"unknown field {'.'.join(path)}")

    with pytest.raises(ExpressionError) as info:
        evaluate(parse("  x.y"), lookup, CTX)
    assert info.value.code == EXPR_UNKNOWN_FIELD
    assert info.value.position == 2
    assert info.value.message == "unknown field x.y at position 2"


def test_field_value_normalization() -> None:
    naive = {("t",): datetime(2026, 1, 1, 8, 0)}
    assert ev("t", naive) == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    shifted = {("t",): datetime(2026, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))}
    assert ev("t", shifted) == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert ev("flag = true", {("flag",): True}) is True  # bool is not turned into a number
    assert error_of("x", {("x",): float("nan")}).code == EXPR_TYPE


# --- operators and precedence --------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", D(7)),
        ("(1 + 2) * 3", D(9)),
        ("10 - 4 - 3", D(3)),
        ("2 * 3 % 4", D(2)),
        ("-2 * -3", D(6)),
        ("- - 2", D(2)),
        ("7 / 2", D("3.5")),
        ("1 / 3", D("0.3333333333333333333333333333")),
        ("7 % 3", D(1)),
        ("-7 % 3", D(-1)),
        ("1 + 2 & 3", "33"),
        ("'a' & 1.50 & true & null", "a1.50true"),
        ("'ab' + 'cd'", "abcd"),
        ("1 + 1 = 2", True),
        ("1 == 1", True),
        ("1 <> 2", True),
        ("1 != 1", False),
        ("2 < 3", True),
        ("3 <= 3", True),
        ("2 > 3", False),
        ("3 >= 4", False),
        ("'apple' < 'banana'", True),
        ("1 = 1.000", True),
        ("not 1 = 2", True),
        ("!(1 = 2)", True),
        ("true or false and false", True),
        ("(true or false) and false", False),
        ("not true or true", True),
        ("true && !false", True),
        ("false || 1 < 2", True),
        ("not not true", True),
    ],
)
def test_operators(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_and_or_short_circuit() -> None:
    # The right side would be a type error; it must not be evaluated.
    assert ev("false and 'x' * 2") is False
    assert ev("true or 'x' * 2") is True


# --- null semantics ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("nothing + 1", None),
        ("1 * null", None),
        ("-nothing", None),
        ("null / 0", None),
        ("'a' + null", None),
        ("closed + null", None),
        ("null = null", True),
        ("nothing = null", True),
        ("nothing != null", False),
        ("amount = null", False),
        ("amount != null", True),
        ("nothing = 1", False),
        ("nothing != 1", True),
        ("nothing < 1", False),
        ("nothing >= 1", False),
        ("1 > nothing", False),
        ("nothing and true", False),
        ("nothing or true", True),
        ("not nothing", True),
        ("IF(nothing, 1, 2)", D(2)),
        ("nothing & 'x'", "x"),
        ("LEN(nothing)", None),
        ("UPPER(null)", None),
    ],
)
def test_null_rules(source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize("source", ["10 / 0", "10 % 0", "MOD(10, 0)", "POWER(0, -1)", "1 / 0.00"])
def test_division_by_zero_is_null(source: str) -> None:
    assert ev(source) is None


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("DATE('2026-01-31') + 1", date(2026, 2, 1)),
        ("1 + DATE('2026-01-31')", date(2026, 2, 1)),
        ("closed - 31", date(2025, 12, 31)),
        ("closed - TODAY()", D(16)),
        ("TODAY() - closed", D(-16)),
        ("NOW() + 1", datetime(2026, 1, 16, 9, 30, tzinfo=UTC)),
        ("NOW() + 0.25", datetime(2026, 1, 15, 15, 30, tzinfo=UTC)),
        ("NOW() - 1", datetime(2026, 1, 14, 9, 30, tzinfo=UTC)),
        ("NOW() - created", D("4.895833333333333333333333333")),
        ("closed > TODAY()", True),
        ("created < NOW()", True),
        ("DATE(2026, 1, 15) = TODAY()", True),
    ],
)
def test_date_arithmetic(source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    "source",
    ["closed + 1.5", "closed - created", "closed < created", "closed * 2", "'x' - closed"],
)
def test_date_type_errors(source: str) -> None:
    assert error_of(source).code == EXPR_TYPE


def test_date_out_of_range_is_type_error() -> None:
    assert error_of("DATE(9999, 12, 31) + 1").code == EXPR_TYPE
    assert error_of("closed + 100000000").code == EXPR_TYPE


# --- functions -----------------------------------------------------------------------------


FUNCTION_CASES: list[tuple[str, Any]] = [
    # logic
    ("IF(amount > 1000, 'big', 'small')", "big"),
    ("if(1 > 2, 'big', 'small')", "small"),
    ("AND(true, 1 < 2, active)", True),
    ("AND(true, nothing)", False),
    ("OR(false, false)", False),
    ("OR(false, nothing, true)", True),
    ("NOT(false)", True),
    ("NOT(nothing)", True),
    ("ISBLANK(nothing)", True),
    ("ISBLANK(empty)", True),
    ("ISBLANK(name)", False),
    ("ISBLANK(0)", False),
    ("BLANKVALUE(empty, 'n/a')", "n/a"),
    ("BLANKVALUE(name, 'n/a')", "Acme"),
    ("COALESCE(nothing, null, 3, 4)", D(3)),
    ("COALESCE(nothing)", None),
    ("CASE(2, 1, 'one', 2, 'two', 'other')", "two"),
    ("CASE(9, 1, 'one', 2, 'two', 'other')", "other"),
    ("CASE(nothing, null, 'blank', 'other')", "blank"),
    # numbers
    ("ABS(-3.5)", D("3.5")),
    ("ROUND(2.345, 2)", D("2.35")),
    ("ROUND(-2.5)", D(-3)),
    ("ROUND(2.5, 0)", D(3)),
    ("ROUND(1250, -2)", D(1300)),
    ("ROUND(1.2, 5)", D("1.2")),
    ("FLOOR(2.7)", D(2)),
    ("FLOOR(-2.1)", D(-3)),
    ("CEIL(2.1)", D(3)),
    ("CEIL(-2.7)", D(-2)),
    ("MIN(3, 1, 2)", D(1)),
    ("MAX(3, nothing, 7)", D(7)),
    ("MIN(nothing, null)", None),
    ("MAX('apple', 'pear')", "pear"),
    ("MIN(closed, TODAY())", TODAY),
    ("MOD(10, 3)", D(1)),
    ("MOD(-10, 3)", D(-1)),
    ("POWER(2, 10)", D(1024)),
    ("POWER(2, -1)", D("0.5")),
    ("POWER(4, 0.5)", D(2)),
    # text
    ("LEN('héllo')", D(5)),
    ("LOWER('AbC')", "abc"),
    ("UPPER('AbC')", "ABC"),
    ("TRIM('  a b  ')", "a b"),
    ("LEFT('hello', 2)", "he"),
    ("LEFT('hello', 99)", "hello"),
    ("LEFT('hello', -1)", ""),
    ("RIGHT('hello', 3)", "llo"),
    ("RIGHT('hello', 0)", ""),
    ("MID('hello', 2, 3)", "ell"),
    ("MID('hello', 0, 2)", "he"),
    ("CONTAINS(name, 'cm')", True),
    ("CONTAINS(name, 'CM')", False),
    ("BEGINS(name, 'Ac')", True),
    ("BEGINS(name, 'cm')", False),
    ("SUBSTITUTE('a-b-c', '-', '+')", "a+b+c"),
    ("SUBSTITUTE('abc', '', 'x')", "abc"),
    ("CONCAT('a', 1, null, true, closed)", "a1true2026-01-31"),
    ("TEXT(1.50)", "1.50"),
    ("TEXT(-0.0)", "0.0"),
    ("TEXT(true)", "true"),
    ("TEXT(closed)", "2026-01-31"),
    ("TEXT(created)", "2026-01-10T12:00:00+00:00"),
    ("TEXT(ROUND(1250, -2))", "1300"),
    ("TEXT(ROUND(1.5, 2))", "1.50"),
    ("TEXT(ROUND(12345678901234567890123456, 5))", "12345678901234567890123456"),
    ("VALUE(' -12.5 ')", D("-12.5")),
    ("VALUE('1e3')", D(1000)),
    ("VALUE(7)", D(7)),
    # dates
    ("TODAY()", TODAY),
    ("NOW()", NOW),
    ("DATE(2024, 2, 29)", date(2024, 2, 29)),
    ("DATE('2026-01-31')", date(2026, 1, 31)),
    ("DATE(created)", date(2026, 1, 10)),
    ("YEAR(closed)", D(2026)),
    ("MONTH(closed)", D(1)),
    ("DAY(closed)", D(31)),
    ("DAY(created)", D(10)),
    ("WEEKDAY(DATE(2026, 1, 12))", D(1)),
    ("WEEKDAY(DATE(2026, 1, 18))", D(7)),
    ("ADDDAYS(closed, 1)", date(2026, 2, 1)),
    ("ADDDAYS(created, 0.5)", datetime(2026, 1, 11, 0, 0, tzinfo=UTC)),
    ("ADDMONTHS(closed, 1)", date(2026, 2, 28)),
    ("ADDMONTHS(DATE(2024, 1, 31), 1)", date(2024, 2, 29)),
    ("ADDMONTHS(closed, -2)", date(2025, 11, 30)),
    ("ADDMONTHS(closed, 12)", date(2027, 1, 31)),
    ("ADDMONTHS(created, 1)", datetime(2026, 2, 10, 12, 0, tzinfo=UTC)),
    ("DATEDIFF(closed, TODAY())", D(16)),
    ("DATEDIFF(NOW(), created)", D(5)),
]


@pytest.mark.parametrize(("source", "expected"), FUNCTION_CASES)
def test_functions(source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected
    assert type(result) is type(expected)


def test_every_registered_function_is_exercised() -> None:
    sources = " ".join(source for source, _ in FUNCTION_CASES).upper()
    for name in REGISTRY:
        assert f"{name}(" in sources, f"{name} has no test case"


def test_if_and_case_evaluate_only_the_chosen_branch() -> None:
    assert ev("IF(true, 1, 'x' * 2)") == D(1)
    assert ev("CASE(1, 1, 'one', 'x' * 2, 'bad', 'other')") == "one"
    assert ev("BLANKVALUE('set', 'x' * 2)") == "set"
    assert ev("COALESCE(1, 'x' * 2)") == D(1)


def test_today_and_now_come_from_the_context() -> None:
    ctx = EvalContext(
        today=date(2030, 5, 6), now=datetime(2030, 5, 6, 1, tzinfo=timezone(timedelta(hours=2)))
    )
    assert ev("TODAY()", {}, ctx) == date(2030, 5, 6)
    assert ev("NOW()", {}, ctx) == datetime(2030, 5, 5, 23, tzinfo=UTC)  # normalized to UTC


def test_eval_context_requires_an_aware_now() -> None:
    with pytest.raises(TypeError):
        EvalContext(today=TODAY, now=datetime(2026, 1, 1))


@pytest.mark.parametrize(
    "source",
    [
        "'abc' * 2",
        "-'abc'",
        "1 + 'a'",
        "1 = 'a'",
        "true < false",
        "1 and true",
        "IF(1, 2, 3)",
        "NOT('x')",
        "ABS('x')",
        "ROUND(1.5, 0.5)",
        "LEN(5)",
        "LEFT(5, 1)",
        "LEFT('abc', 1.5)",
        "CONTAINS('abc', 1)",
        "MIN(1, 'a')",
        "VALUE('abc')",
        "VALUE('1e99999')",
        "DATE('31/01/2026')",
        "DATE('2026-02-30')",
        "DATE(2026, 13, 1)",
        "YEAR('2026-01-01')",
        "ADDMONTHS(1, 1)",
        "DATEDIFF(closed, 1)",
        "POWER(-8, 0.5)",
    ],
)
def test_type_errors(source: str) -> None:
    err = error_of(source)
    assert err.code == EXPR_TYPE
    assert err.position is not None


def test_type_error_messages_are_specific() -> None:
    err = error_of("1 + 'abc' * 2")
    assert err.position == 10
    assert err.message == "operator * cannot combine text and number at position 10"
    err = error_of("  LEN(5)")
    assert err.position == 2
    assert "LEN: argument 1 must be text, got number" in err.message


# --- syntax errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "code", "position"),
    [
        ("", EXPR_SYNTAX, 0),
        ("1 +", EXPR_SYNTAX, 3),
        ("(1 + 2", EXPR_SYNTAX, 6),
        ("1 + 2)", EXPR_SYNTAX, 5),
        ("1 2", EXPR_SYNTAX, 2),
        ("a # b", EXPR_SYNTAX, 2),
        ("'abc", EXPR_SYNTAX, 0),
        (r"'a\qb'", EXPR_SYNTAX, 2),
        ("12abc", EXPR_SYNTAX, 0),
        ("1.", EXPR_SYNTAX, 0),
        ("a.", EXPR_SYNTAX, 2),
        ("a.1", EXPR_SYNTAX, 2),
        ("1 < 2 < 3", EXPR_SYNTAX, 6),
        ("1 + not x", EXPR_SYNTAX, 4),
        ("f(1,)", EXPR_UNKNOWN_FUNCTION, 0),
        ("IF(1,)", EXPR_SYNTAX, 5),
        ("a.b(1)", EXPR_SYNTAX, 3),
        ("x = FOO(1)", EXPR_UNKNOWN_FUNCTION, 4),
        ("LEFT('a')", EXPR_ARITY, 0),
        ("1 + IF(true, 1)", EXPR_ARITY, 4),
        ("TODAY(1)", EXPR_ARITY, 0),
        ("AND()", EXPR_ARITY, 0),
        ("CASE(1, 2, 3)", EXPR_ARITY, 0),
        ("CASE(1, 2, 3, 4, 5)", EXPR_ARITY, 0),
        ("DATE(2026, 1)", EXPR_ARITY, 0),
    ],
)
def test_parse_errors(source: str, code: str, position: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(source)
    assert info.value.code == code
    assert info.value.position == position
    assert info.value.message.endswith(f"at position {position}")


def test_unknown_function_message() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("amount + Foo(1)")
    assert info.value.message == "unknown function Foo at position 9"
    assert isinstance(info.value, ValueError)


def test_arity_message() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("MID('abc', 1)")
    assert info.value.message == "function MID expects 3 argument(s), got 2 at position 0"


def test_error_codes_are_stable_and_errors_pickle() -> None:
    assert {
        "EXPR_SYNTAX",
        "EXPR_UNKNOWN_FUNCTION",
        "EXPR_ARITY",
        "EXPR_TYPE",
        "EXPR_DIVISION_BY_ZERO",
        "EXPR_TOO_COMPLEX",
        "EXPR_UNKNOWN_FIELD",
    } == ERROR_CODES
    err = ExpressionError(EXPR_TYPE, "bad", 3)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.code, copy.message, copy.position) == ("EXPR_TYPE", "bad at position 3", 3)


def test_case_insensitive_keywords_and_functions() -> None:
    assert parse("iF(TRUE AND NoT fAlSe, NULL, 1)") == parse("IF(true and not false, null, 1)")


# --- safety limits -------------------------------------------------------------------------


def too_complex(source: str, values: Any = None, ctx: EvalContext = CTX) -> ExpressionError:
    err = error_of(source, values, ctx)
    assert err.code == EXPR_TOO_COMPLEX
    return err


def test_source_length_limit() -> None:
    parse("1" + " " * 3_999)  # 4,000 characters are fine
    with pytest.raises(ExpressionError) as info:
        parse("1" + " " * 4_000)
    assert info.value.code == EXPR_TOO_COMPLEX


def test_bracket_nesting_limit() -> None:
    assert ev("(" * 60 + "1" + ")" * 60) == D(1)
    too_complex("(" * 65 + "1" + ")" * 65)
    too_complex("-" * 100 + "1")
    too_complex("ABS(" * 70 + "1" + ")" * 70)


def test_tree_depth_limit_for_long_chains() -> None:
    assert ev(" + ".join(["1"] * 60)) == D(60)
    too_complex(" + ".join(["1"] * 100))


def test_step_limit() -> None:
    ctx = EvalContext(today=TODAY, now=NOW, max_steps=5)
    assert ev("1 + 1", ctx=ctx) == D(2)
    err = too_complex("1 + 1 + 1 + 1", ctx=ctx)
    assert "5 steps" in err.message


def test_power_limits() -> None:
    assert ev("POWER(10, 1000)") == D("1E+1000")
    assert "1000" in too_complex("POWER(2, 1001)").message
    too_complex("POWER(POWER(10, 1000), 1000)")  # beyond the exponent range
    assert ev("POWER(POWER(10, 1000), 9)") == D("1E+9000")
    too_complex("POWER(POWER(10, 1000), 9) * POWER(10, 1000)")  # exponent range ±9,999


def test_text_growth_limits() -> None:
    nested = "'abcdefghij'"
    for _ in range(6):
        nested = f"SUBSTITUTE({nested}, 'a', 'aaaaaaaaaaaaaaaaaaaa')"
    too_complex(nested)
    big = {("s",): "x" * 60_000}
    assert len(ev("s", big)) == 60_000
    too_complex("s & s", big)
    too_complex("s + s", big)
    too_complex("CONCAT(s, s)", big)


def test_hand_built_deep_tree_is_too_complex_not_a_crash() -> None:
    expr: Expr = Number(D(1))
    for _ in range(5_000):
        expr = Unary("-", expr)
    with pytest.raises(ExpressionError) as info:
        evaluate(expr, {}, EvalContext(today=TODAY, now=NOW, max_steps=100_000))
    assert info.value.code == EXPR_TOO_COMPLEX
    assert references(expr) == set()  # tree walks are iterative


def test_hand_built_calls_are_checked_at_evaluation() -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate(Call("NOPE", (), pos=3), {}, CTX)
    assert (info.value.code, info.value.position) == (EXPR_UNKNOWN_FUNCTION, 3)
    with pytest.raises(ExpressionError) as info:
        evaluate(Call("LEFT", (String("a"),)), {}, CTX)
    assert info.value.code == EXPR_ARITY
    assert evaluate(Call("NOT", (Boolean(False),)), {}, CTX) is True


# --- printer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "canonical"),
    [
        ("1+2*3", "1 + 2 * 3"),
        ("(1+2)*3", "(1 + 2) * 3"),
        ("1-(2-3)", "1 - (2 - 3)"),
        ("(1-2)-3", "1 - 2 - 3"),
        ("a && b || !c", "a and b or not c"),
        ("!(a || b)", "not (a or b)"),
        ("(not a) = b", "(not a) = b"),
        ("a = (b = c)", "a = (b = c)"),
        ("x <> 1", "x != 1"),
        ("x == 1", "x = 1"),
        ("-(-x)", "--x"),
        ("-(a + b)", "-(a + b)"),
        ("today()", "TODAY()"),
        ("'tab\\there'", '"tab\\there"'),
        ("1.50", "1.50"),
        ("a.b.c & 'x'", 'a.b.c & "x"'),
        ("and(a, Or(b, c))", "AND(a, OR(b, c))"),
        ("NOT(a)", "not a"),
        ("1 + NOT(a)", "1 + (not a)"),
        ("not (a or b)", "not (a or b)"),
        ("not ((a or b) = c)", "not ((a or b) = c)"),
        ("not (a) = b", "(not a) = b"),  # "not (" is the function NOT(…), like Excel
    ],
)
def test_to_source(source: str, canonical: str) -> None:
    expr = parse(source)
    assert to_source(expr) == canonical
    assert parse(to_source(expr)) == expr


def test_to_source_escapes_control_characters() -> None:
    expr = String("a\x00b\u2028c\"'")
    assert to_source(expr) == '"a\\u0000b\u2028c\\"\'"'
    assert parse(to_source(expr)) == expr


def test_positions_do_not_affect_equality() -> None:
    assert parse("1+x") == parse("  1 +   x")
    expr = parse("  1 + x")
    assert isinstance(expr, Binary)
    assert (expr.pos, expr.left.pos, expr.right.pos) == (4, 2, 6)


# --- type inference ------------------------------------------------------------------------

FIELD_TYPES = {
    ("amount",): "decimal",
    ("qty",): "integer",
    ("name",): "text",
    ("email",): "email",
    ("active",): "boolean",
    ("closed",): "date",
    ("created",): "datetime",
    ("owner",): "ref",
    ("customer", "industry"): "picklist",
}


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("amount * qty", "number"),
        ("name & amount", "text"),
        ("name + email", "text"),
        ("amount > 5 and active", "boolean"),
        ("closed + 3", "date"),
        ("created - 1", "datetime"),
        ("closed - TODAY()", "number"),
        ("NOW() - created", "number"),
        ("IF(active, 1, 2)", "number"),
        ("IF(active, 1, 'x')", "any"),
        ("IF(active, null, 'x')", "text"),
        ("owner", "any"),
        ("owner + 1", "any"),
        ("owner - closed", "number"),
        ("null", "any"),
        ("LEN(customer.industry)", "number"),
        ("CASE(qty, 1, 'a', 2, 'b', 'c')", "text"),
        ("COALESCE(null, closed)", "date"),
        ("ADDMONTHS(created, 1)", "datetime"),
        ("DATE('2026-01-01')", "date"),
        ("TEXT(amount)", "text"),
        ("MAX(closed, TODAY())", "date"),
        ("VALUE(name)", "number"),
    ],
)
def test_infer_type(source: str, kind: str) -> None:
    assert infer_type(parse(source), FIELD_TYPES) == kind


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("name * 2", EXPR_TYPE),
        ("closed + name", EXPR_TYPE),
        ("amount = name", EXPR_TYPE),
        ("active < true", EXPR_TYPE),
        ("not amount", EXPR_TYPE),
        ("-name", EXPR_TYPE),
        ("LEN(amount)", EXPR_TYPE),
        ("IF(amount, 1, 2)", EXPR_TYPE),
        ("YEAR(name)", EXPR_TYPE),
        ("owner * 'x'", EXPR_TYPE),
        ("missing + 1", EXPR_UNKNOWN_FIELD),
    ],
)
def test_infer_type_errors(source: str, code: str) -> None:
    with pytest.raises(ExpressionError) as info:
        infer_type(parse(source), FIELD_TYPES)
    assert info.value.code == code
    assert info.value.position is not None


def test_infer_type_knows_every_function() -> None:
    from accord.meta.expression.infer import _CALL_RULES

    assert set(_CALL_RULES) == set(REGISTRY)
    with pytest.raises(ExpressionError) as info:
        infer_type(Call("NOPE", ()), {})
    assert info.value.code == EXPR_UNKNOWN_FUNCTION


def test_infer_type_error_names_the_function() -> None:
    with pytest.raises(ExpressionError) as info:
        infer_type(parse("1 + LEN(amount)"), FIELD_TYPES)
    assert info.value.message == "LEN: argument 1 expects text, got number at position 4"


# --- properties ----------------------------------------------------------------------------

_names = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True).filter(lambda s: s not in KEYWORDS)
_leaves: st.SearchStrategy[Expr] = st.one_of(
    st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False).map(
        lambda d: Number(abs(d))
    ),
    st.text(max_size=6).map(String),
    st.booleans().map(Boolean),
    st.just(Null()),
    st.lists(_names, min_size=1, max_size=3).map(lambda p: FieldRef(tuple(p))),
)


# NOT(x) parses to the same node as "not x", so a Call("NOT") never comes out of parse().
_CALL_COUNTS = {
    name: [
        n
        for n in range(spec.min_args, (spec.max_args or spec.min_args + 3) + 1)
        if arity_problem(name, n) is None
    ]
    for name, spec in REGISTRY.items()
    if name != "NOT"
}


@st.composite
def _calls(draw: st.DrawFn, children: st.SearchStrategy[Expr]) -> Expr:
    # composite rather than flatmap: no per-example strategy objects with huge reprs
    name = draw(st.sampled_from(sorted(_CALL_COUNTS)))
    count = draw(st.sampled_from(_CALL_COUNTS[name]))
    return Call(name, tuple(draw(children) for _ in range(count)))


_trees: st.SearchStrategy[Expr] = st.recursive(
    _leaves,
    lambda children: st.one_of(
        st.builds(Binary, st.sampled_from(sorted(BINARY_OPS)), children, children),
        st.builds(Unary, st.sampled_from(["-", "not"]), children),
        _calls(children),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(_trees)
def test_print_then_parse_gives_the_same_tree(expr: Expr) -> None:
    assume(depth(expr) <= 60)
    source = to_source(expr)
    assume(len(source) <= 4_000)
    reparsed = parse(source)
    assert reparsed == expr
    assert to_source(reparsed) == source


@settings(max_examples=200, deadline=None)
@given(_trees)
def test_references_are_exactly_the_field_refs(expr: Expr) -> None:
    assume(depth(expr) <= 60)
    source = to_source(expr)
    assume(len(source) <= 4_000)
    expected = {tuple(part for part in token.split(".")) for token in _field_texts(expr)}
    assert references(parse(source)) == expected


def _field_texts(expr: Expr) -> list[str]:
    if isinstance(expr, FieldRef):
        return [".".join(expr.path)]
    if isinstance(expr, Unary):
        return _field_texts(expr.operand)
    if isinstance(expr, Binary):
        return _field_texts(expr.left) + _field_texts(expr.right)
    if isinstance(expr, Call):
        return [t for arg in expr.args for t in _field_texts(arg)]
    return []


_decimals = st.decimals(
    min_value=-(10**15), max_value=10**15, places=12, allow_nan=False, allow_infinity=False
)


def _python(op: str, a: Decimal, b: Decimal) -> Decimal | type[ExpressionError] | None:
    with localcontext(Context(prec=28)):
        try:
            if op in "/%" and b.is_zero():
                return None
            return {
                "+": lambda: a + b,
                "-": lambda: a - b,
                "*": lambda: a * b,
                "/": lambda: a / b,
                "%": lambda: a % b,
            }[op]()
        except InvalidOperation:  # e.g. a remainder whose quotient needs > 28 digits
            return ExpressionError


@settings(max_examples=300, deadline=None)
@given(_decimals, _decimals, st.sampled_from(["+", "-", "*", "/", "%"]))
def test_arithmetic_on_fields_agrees_with_decimal(a: Decimal, b: Decimal, op: str) -> None:
    expected = _python(op, a, b)
    values = {("a",): a, ("b",): b}
    if expected is ExpressionError:
        assert error_of(f"a {op} b", values).code == EXPR_TYPE
    else:
        assert ev(f"a {op} b", values) == expected


@settings(max_examples=300, deadline=None)
@given(_decimals, _decimals, st.sampled_from(["+", "-", "*", "/", "%"]))
def test_arithmetic_on_literals_agrees_with_decimal(a: Decimal, b: Decimal, op: str) -> None:
    expected = _python(op, a, b)
    source = f"{to_source(Number(a))} {op} {to_source(Number(b))}"
    if expected is ExpressionError:
        assert error_of(source, {}).code == EXPR_TYPE
    else:
        assert ev(source, {}) == expected


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_text_literals_round_trip(text: str) -> None:
    assert ev(to_source(String(text)), {}) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_parse_never_fails_with_anything_but_expression_error(source: str) -> None:
    try:
        expr = parse(source)
    except ExpressionError as err:
        assert err.code in ERROR_CODES
        return
    assert parse(to_source(expr)) == expr


@settings(max_examples=100, deadline=None)
@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=-5_000, max_value=5_000),
)
def test_date_plus_days_agrees_with_timedelta(start: date, days: int) -> None:
    values = {("d",): start, ("n",): days}
    assert ev("d + n", values) == start + timedelta(days=days)
    assert ev("(d + n) - d", values) == D(days)
    assert ev("DATEDIFF(ADDDAYS(d, n), d)", values) == D(days)

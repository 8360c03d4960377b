"""Docs are part of the API: every setting, CLI command, error code, check id, field type and
REST route is documented, and every ADR has the agreed shape. Fast: no database is opened.

When a test here fails, document the thing it names (do not loosen the test):
settings → README.md and docs/operations.md; CLI commands → README.md; error codes →
docs/errors.md; check ids → docs/errors.md or accord/meta/fieldtypes/CHECKS.md; field types →
docs/user-guide.en.md and docs/user-guide.zh.md; routes → docs/api.md.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "accord"
DOCS = ROOT / "docs"

ERROR_CLASSES = frozenset(
    {
        "AccordError",
        "Invalid",
        "BadRequest",
        "Unauthenticated",
        "Forbidden",
        "NotFound",
        "Conflict",
        "PreconditionFailed",
        "PayloadTooLarge",
        "RateLimited",
    }
)
# Helpers that take a code as their first argument (wrappers around the error classes and the
# value-error types of field types, the query engine, the expression language and the jobs).
CODE_FIRST_HELPERS = frozenset(
    {"FieldValueError", "OperandError", "ExpressionError", "_ValueProblem", "_invalid", "fail",
     "invalid"}
)  # fmt: skip
# Modules whose module-level UPPER_SNAKE string constants are error codes.
CODE_CONSTANT_MODULES = (
    "accord/meta/fieldtypes/validation.py",
    "accord/meta/expression/errors.py",
    "accord/query/parse.py",
)
CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,}")
CHECK_ID = re.compile(r"meta\.E\d{3}")
ADR_NAME = re.compile(r"\d{4}-[a-z0-9]+(?:-[a-z0-9]+)*\.md")


def read(path: Path) -> str:
    assert path.exists(), f"{path.relative_to(ROOT)} is missing"
    return path.read_text(encoding="utf-8")


def mentions(text: str, token: str) -> bool:
    """``token`` appears in ``text`` as a whole word (``MALFORMED`` is not in ``MALFORMED_X``)."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(token)}(?![A-Za-z0-9_])", text) is not None


def python_files() -> Iterator[Path]:
    yield from sorted(PACKAGE.rglob("*.py"))


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _codes_in_call(node: ast.Call) -> Iterator[str]:
    name = _call_name(node)
    first = _literal(node.args[0]) if node.args else None
    second = _literal(node.args[1]) if len(node.args) > 1 else None
    keyword = next((_literal(k.value) for k in node.keywords if k.arg == "code"), None)
    if name in ERROR_CLASSES and first is not None:
        yield first
    elif name == "FieldError":
        yield from (c for c in (second, keyword) if c is not None)
    elif name in CODE_FIRST_HELPERS and first is not None and CODE.fullmatch(first):
        yield first
    elif name in ("invalid_sort", "problem"):  # (location, CODE, …) / (status, title, detail, CODE)
        args = [_literal(a) for a in node.args]
        yield from (a for a in args if a is not None and CODE.fullmatch(a))


def error_codes() -> dict[str, set[str]]:
    """Every literal error code raised under accord/, with where it was found."""
    found: dict[str, set[str]] = {}
    for path in python_files():
        rel = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for code in _codes_in_call(node):
                    found.setdefault(code, set()).add(rel)
        if rel in CODE_CONSTANT_MODULES:
            for stmt in tree.body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    target, value = stmt.targets[0], _literal(stmt.value)
                    if (
                        isinstance(target, ast.Name)
                        and value == target.id
                        and CODE.fullmatch(value)
                    ):
                        found.setdefault(value, set()).add(rel)
    return found


# --- 1. settings ----------------------------------------------------------------------------


def settings_fields() -> list[str]:
    from accord.core.settings import Settings

    return sorted(Settings.model_fields)


@pytest.mark.parametrize("doc", ["README.md", "docs/operations.md"])
def test_every_setting_is_documented_with_its_environment_variable(doc: str) -> None:
    text = read(ROOT / doc)
    missing = [
        f"{name} (ACCORD_{name.upper()})"
        for name in settings_fields()
        if not (mentions(text, f"ACCORD_{name.upper()}") and mentions(text, name))
    ]
    assert not missing, f"{doc} does not document these settings: {missing}"


def test_settings_prefix_is_accord() -> None:
    from accord.core.settings import Settings

    assert Settings.model_config.get("env_prefix") == "ACCORD_"


# --- 2. CLI ---------------------------------------------------------------------------------


def cli_commands() -> list[str]:
    import typer.main

    from accord.cli.main import app

    out: list[str] = []

    def walk(command: object, prefix: tuple[str, ...]) -> None:
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            path = (*prefix, name)
            out.append(" ".join(path))
            walk(sub, path)

    walk(typer.main.get_command(app), ())
    return out


def test_cli_has_commands() -> None:
    assert {"init", "serve", "worker", "demo", "migrate"} <= set(cli_commands())


def test_every_cli_command_is_documented_in_the_readme() -> None:
    text = read(ROOT / "README.md")
    missing = [c for c in cli_commands() if f"accord {c}" not in text]
    assert not missing, f"README.md does not document: {['accord ' + c for c in missing]}"


# --- 3. error codes -------------------------------------------------------------------------


def test_error_codes_are_found() -> None:
    codes = error_codes()
    # A sanity check of the scanner itself, so a refactor cannot make the next test vacuous.
    assert {"RECORD_NOT_FOUND", "VERSION_CONFLICT", "INVALID_FILTER", "INVALID_EMAIL"} <= set(codes)


def test_every_error_code_is_documented() -> None:
    text = read(DOCS / "errors.md")
    missing = {c: sorted(w) for c, w in sorted(error_codes().items()) if not mentions(text, c)}
    assert not missing, f"docs/errors.md does not document these codes: {missing}"


def test_field_value_codes_are_documented() -> None:
    from accord.meta.expression.errors import ERROR_CODES as EXPR_CODES
    from accord.meta.fieldtypes.validation import ERROR_CODES

    text = read(DOCS / "errors.md")
    missing = sorted(c for c in ERROR_CODES | EXPR_CODES if not mentions(text, c))
    assert not missing, f"docs/errors.md does not document: {missing}"


# --- 4. check ids ---------------------------------------------------------------------------


def check_ids() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix not in (".py", ".md", ".yaml", ".yml") or not path.is_file():
            continue
        for cid in CHECK_ID.findall(path.read_text(encoding="utf-8")):
            found.setdefault(cid, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_check_id_is_documented() -> None:
    ids = check_ids()
    assert "meta.E001" in ids
    text = read(DOCS / "errors.md") + read(PACKAGE / "meta" / "fieldtypes" / "CHECKS.md")
    missing = {cid: sorted(w) for cid, w in sorted(ids.items()) if not mentions(text, cid)}
    assert not missing, f"check ids missing from docs/errors.md and CHECKS.md: {missing}"


# --- 5. ADRs --------------------------------------------------------------------------------


def adr_files() -> list[Path]:
    return sorted((DOCS / "adr").glob("*.md"))


def test_there_are_adrs() -> None:
    assert adr_files(), "docs/adr/ has no decision records"


@pytest.mark.parametrize("path", adr_files(), ids=lambda p: p.name)
def test_adr_is_named_and_titled(path: Path) -> None:
    assert ADR_NAME.fullmatch(path.name), f"{path.name}: name it NNNN-decision-as-title.md"
    first = read(path).splitlines()[0] if read(path) else ""
    assert first.startswith("# "), f"{path.name} must start with a '# ' title"
    assert len(read(path).splitlines()) <= 80, f"{path.name} is longer than a page"


def test_adr_numbers_are_unique() -> None:
    numbers = [p.name[:4] for p in adr_files()]
    assert len(numbers) == len(set(numbers)), f"duplicate ADR numbers: {numbers}"


# --- 6. field types -------------------------------------------------------------------------


def field_types() -> dict[str, dict[str, str]]:
    from accord.meta.fieldtypes.registry import all_types

    return {name: dict(t.label) for name, t in all_types().items()}


@pytest.mark.parametrize("guide", ["docs/user-guide.en.md", "docs/user-guide.zh.md"])
def test_every_field_type_is_in_the_user_guide(guide: str) -> None:
    types = field_types()
    assert len(types) >= 30
    text = read(ROOT / guide)
    missing = [
        name
        for name, label in types.items()
        if f"`{name}`" not in text
        or label.get("en", "") not in text
        or label.get("zh", "") not in text
    ]
    assert not missing, f"{guide} lacks these field types (name, en and zh label): {missing}"


# --- 7. REST routes -------------------------------------------------------------------------


def api_paths() -> list[str]:
    """Paths of every APIRouter defined in a module of ``accord.api.routes``."""
    import importlib
    import pkgutil

    from fastapi import APIRouter

    import accord.api.routes as routes_pkg

    paths: set[str] = set()
    for info in pkgutil.iter_modules(routes_pkg.__path__):
        module = importlib.import_module(f"{routes_pkg.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, APIRouter):
                paths.update(getattr(r, "path", "") for r in value.routes)
    return sorted(p for p in paths if p.startswith("/api/"))


def test_every_api_route_is_in_the_api_guide() -> None:
    paths = api_paths()
    assert "/api/v1/records/{object}" in paths
    text = read(DOCS / "api.md")
    missing = [p for p in paths if p not in text]
    assert not missing, f"docs/api.md does not document: {missing}"


# --- links between docs ---------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize(
    "doc",
    ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", *sorted(
        str(p.relative_to(ROOT)) for p in DOCS.rglob("*.md"))],
)  # fmt: skip
def test_relative_links_resolve(doc: str) -> None:
    path = ROOT / doc
    broken = [
        target
        for target in LINK.findall(read(path))
        if "://" not in target and not (path.parent / target).exists()
    ]
    assert not broken, f"{doc} links to missing files: {broken}"

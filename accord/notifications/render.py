"""Templates of notifications: sandboxed Jinja2, checked at save time, rendered per recipient.

Message templates are written by administrators (rule actions), so they run in Jinja2's
``SandboxedEnvironment``: no attribute access to internals, no imports, bounded output. A
variable that does not exist — a field hidden from the recipient included — renders as nothing,
so a template never fails at send time because of who reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any, Final

from jinja2 import TemplateError, TemplateSyntaxError, Undefined
from jinja2.sandbox import SandboxedEnvironment

from accord.core.errors import FieldError

LANGUAGES: Final = ("zh", "en")
MAX_TITLE_SOURCE = 500
MAX_BODY_SOURCE = 10_000
MAX_TITLE = 200  # characters of a rendered title (also an email subject)
MAX_BODY = 4000

_ENV = SandboxedEnvironment(undefined=Undefined, autoescape=False, keep_trailing_newline=False)
# Layouts shipped in the package (email): HTML ones escape every value, text ones none.
_HTML = SandboxedEnvironment(autoescape=True)
_TEXT = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)


def language(locale: str | None) -> str:
    """The template language of a user's locale: zh_CN → "zh", anything else → "en"."""
    return "zh" if (locale or "").lower().startswith("zh") else "en"


def check_template(source: Any, field: str, max_length: int) -> list[FieldError]:
    if not isinstance(source, str):
        return [FieldError(field, "NOTIFICATION_TEMPLATE_INVALID", "Must be a text.")]
    if len(source) > max_length:
        return [
            FieldError(
                field,
                "NOTIFICATION_TEMPLATE_TOO_LONG",
                f"At most {max_length} characters (got {len(source)}).",
            )
        ]
    try:
        _ENV.parse(source)
    except TemplateSyntaxError as exc:
        return [
            FieldError(
                field,
                "NOTIFICATION_TEMPLATE_INVALID",
                f"Template error on line {exc.lineno}: {exc.message}",
            )
        ]
    return []


def check_texts(value: Any, field: str, max_length: int, *, required: bool) -> list[FieldError]:
    """A ``{"zh": …, "en": …}`` map of templates: known languages, each a valid template."""
    if value is None or (not required and value == {}):
        if required:
            return [FieldError(field, "NOTIFICATION_TEMPLATE_INVALID", "Give at least one.")]
        return []
    if not isinstance(value, Mapping):
        return [FieldError(field, "NOTIFICATION_TEMPLATE_INVALID", 'Give {"zh": "…", "en": "…"}.')]
    errors: list[FieldError] = []
    if required and not any(isinstance(v, str) and v.strip() for v in value.values()):
        errors.append(FieldError(field, "NOTIFICATION_TEMPLATE_INVALID", "Must not be empty."))
    for lang, source in value.items():
        if lang not in LANGUAGES:
            errors.append(
                FieldError(
                    f"{field}.{lang}",
                    "NOTIFICATION_LANGUAGE_UNKNOWN",
                    f"Unknown language {str(lang)[:20]!r}; use zh or en.",
                )
            )
            continue
        errors += check_template(source, f"{field}.{lang}", max_length)
    return errors


def pick(texts: Mapping[str, str], lang: str) -> str:
    """The template in ``lang``, else in the other language, else empty."""
    for candidate in (lang, *LANGUAGES):
        source = texts.get(candidate)
        if source:
            return source
    return ""


def render(source: str, variables: Mapping[str, Any], max_length: int) -> str:
    """Render a checked template; a failure at run time (e.g. a filter on a wrong type) gives
    the template's text rather than losing the notification."""
    if not source:
        return ""
    try:
        out = _ENV.from_string(source).render(**variables)
    except TemplateError:
        out = source
    except (TypeError, ValueError, ArithmeticError):
        out = source
    return out.strip()[:max_length]


def render_layout(name: str, variables: Mapping[str, Any]) -> str:
    """Render one of the package's bundled layouts (``templates/<name>``)."""
    source = resources.files("accord.notifications").joinpath("templates", name).read_text("utf-8")
    env = _HTML if name.endswith(".html") else _TEXT
    return env.from_string(source).render(**variables)

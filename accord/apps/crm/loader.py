"""Load the built-in CRM app's object definitions from the metadata files in this package.

``app.yaml`` lists the objects in install order; each lives in ``objects/<name>.yaml``. Files are
read with ``importlib.resources`` so the app works from a wheel or a zip as well as a checkout.

The definitions go through exactly what an administrator's custom object goes through:
``accord.meta.serialize.object_from_dict`` turns each file into an ``ObjectDef`` and
``accord.meta.checks.check_object`` checks it against the whole app. Only what those do not
cover is checked here: the manifest, file names, install order and rollup filters. Every
problem raises ``AppDefinitionError`` naming the file (or object and field) at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import yaml

from accord.core.errors import Invalid
from accord.meta.checks import check_object
from accord.meta.fieldtypes.base import Problem
from accord.meta.model import ObjectDef
from accord.meta.registry import Registry
from accord.meta.serialize import object_from_dict
from accord.query import parse_filter

__all__ = [
    "APP_PACKAGE",
    "AppDefinitionError",
    "app_problems",
    "load_app_definitions",
    "load_app_manifest",
]

APP_PACKAGE = "accord.apps.crm"
MANIFEST = "app.yaml"
OBJECTS_DIR = "objects"

# libyaml's loader when PyYAML has it (much faster, same YAML), else the Python one.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
REFERENCE_TYPES = frozenset({"lookup", "master_detail", "many_to_many"})
ORDER_PROBLEM = "app.E001"  # a reference target is listed after its referrer
FILTER_PROBLEM = "app.E002"  # a rollup filter is not a valid filter on the child object


class AppDefinitionError(ValueError):
    """A metadata file, or the app as a whole, that cannot be installed.

    ``source`` names the file (or the package); ``problems`` holds one line per problem, each
    naming its location (``fields[3].type``) or check id, object and field.
    """

    def __init__(self, message: str, *, source: str, problems: Sequence[str] = ()) -> None:
        lines = "".join(f"\n  {p}" for p in problems)
        super().__init__(f"{source}: {message}{lines}")
        self.source = source
        self.detail = message
        self.problems = list(problems)


def _read_yaml(path: Any, source: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AppDefinitionError("file not found", source=source) from None
    try:
        return yaml.load(text, Loader=YAML_LOADER)  # a safe loader either way
    except yaml.YAMLError as exc:
        raise AppDefinitionError(f"not valid YAML: {exc}", source=source) from None


def load_app_manifest(package: str = APP_PACKAGE) -> dict[str, Any]:
    """The parsed ``app.yaml``: name, label, version and ``objects`` in install order."""
    source = f"{package}/{MANIFEST}"
    data = _read_yaml(resources.files(package) / MANIFEST, source)
    if not isinstance(data, Mapping):
        raise AppDefinitionError("expected a mapping at the top level", source=source)
    names = data.get("objects")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise AppDefinitionError(
            "'objects' must be a non-empty list of object names", source=source
        )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise AppDefinitionError(f"objects listed twice: {duplicates}", source=source)
    return dict(data)


def _object_from_file(root: Any, name: str, source: str) -> ObjectDef:
    try:
        obj = object_from_dict(_read_yaml(root / f"{name}.yaml", source), system=True)
    except Invalid as exc:
        where = [f"{e.field or '(top level)'}: {e.message} [{e.code}]" for e in exc.errors]
        raise AppDefinitionError(exc.message, source=source, problems=where) from None
    if obj.name != name:
        raise AppDefinitionError(
            f"declares object {obj.name!r}, but the file name says {name!r}", source=source
        )
    return obj


def load_app_definitions(package: str = APP_PACKAGE) -> list[ObjectDef]:
    """Every object of the app as an ``ObjectDef`` (``system=True``), in install order."""
    manifest = load_app_manifest(package)
    root = resources.files(package) / OBJECTS_DIR
    on_disk = {
        entry.name.removesuffix(".yaml")
        for entry in root.iterdir()
        if entry.is_file() and entry.name.endswith(".yaml")
    }
    unlisted = sorted(on_disk - set(manifest["objects"]))
    if unlisted:
        raise AppDefinitionError(
            f"object files not listed in {MANIFEST}: {unlisted}", source=f"{package}/{MANIFEST}"
        )
    objects = [
        _object_from_file(root, name, f"{package}/{OBJECTS_DIR}/{name}.yaml")
        for name in manifest["objects"]
    ]
    problems = app_problems(objects)
    if problems:
        raise AppDefinitionError(
            f"{len(problems)} problem(s) in the definitions:",
            source=package,
            problems=[_describe(p) for p in problems],
        )
    return objects


# --- checks -----------------------------------------------------------------------------------


def app_problems(objects: Sequence[ObjectDef]) -> list[Problem]:
    """Every problem of definitions given in install order (empty = installable).

    ``check_object`` over the whole app, plus what it leaves to others: the install order of
    the manifest and (when the definitions are otherwise sound) the rollup filters.
    """
    by_name = {o.name: o for o in objects}
    problems = [p for obj in objects for p in check_object(obj, by_name)]
    problems += _order_problems(objects)
    if not problems:
        problems += _rollup_filter_problems(objects, by_name)
    return problems


def _describe(p: Problem) -> str:
    where = ".".join(part for part in (p.object, p.field) if part)
    return f"{p.id} {where}: {p.message}" if where else f"{p.id}: {p.message}"


def _order_problems(objects: Sequence[ObjectDef]) -> list[Problem]:
    """Reference targets (lookup, master-detail, many-to-many) are listed before their referrers
    (or are the referrer itself)."""
    order = {o.name: i for i, o in enumerate(objects)}
    return [
        Problem(ORDER_PROBLEM, f"target {target!r} is listed after {obj.name!r}", obj.name, f.name)
        for obj in objects
        for f in obj.fields
        if f.type in REFERENCE_TYPES
        and (target := f.options.get("target")) in order
        and order[target] > order[obj.name]
    ]


def _rollup_filter_problems(
    objects: Sequence[ObjectDef], by_name: Mapping[str, ObjectDef]
) -> list[Problem]:
    """Rollup filters parsed by the record query parser, as the record service will at runtime
    (``check_object`` only checks that a filter is a mapping)."""
    reg = Registry(version=0, objects=dict(by_name))
    out: list[Problem] = []
    for obj in objects:
        for f in obj.fields:
            flt = f.options.get("filter") if f.type == "rollup" else None
            if not flt:
                continue
            try:
                parse_filter(flt, reg, f.options["child_object"], location="options.filter")
            except Invalid as exc:
                out += [
                    Problem(FILTER_PROBLEM, f"{e.field}: {e.message}", obj.name, f.name)
                    for e in exc.errors
                ]
    return out

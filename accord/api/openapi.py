"""OpenAPI generated from metadata: every object gets its record schemas and concrete paths.

Rebuilt when the metadata version moves (an administrator adds a field → the next request for
the document shows it).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from accord.core.context import Context, Runtime
from accord.db.engine import unit_of_work
from accord.meta.model import ObjectDef, label_text
from accord.meta.registry import Registry, load

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problem_responses(*codes: int) -> dict[str, Any]:
    return {
        str(c): {
            "description": "Problem",
            "content": {"application/problem+json": {"schema": PROBLEM}},
        }
        for c in codes
    }


def _system_props(obj: ObjectDef) -> dict[str, Any]:
    uuid = {"type": "string", "format": "uuid"}
    ts = {"type": "string", "format": "date-time"}
    props: dict[str, Any] = {
        "id": uuid,
        "version": {"type": "integer"},
        "created_at": ts,
        "updated_at": ts,
        "created_by": {**uuid, "nullable": True},
        "updated_by": {**uuid, "nullable": True},
    }
    if obj.ownable:
        props["owner_id"] = {**uuid, "nullable": True}
    return props


def object_schemas(reg: Registry, obj: ObjectDef) -> tuple[dict[str, Any], dict[str, Any]]:
    """(record schema, input schema) for one object."""
    props = _system_props(obj)
    inputs: dict[str, Any] = {}
    if obj.ownable:
        inputs["owner_id"] = {"type": "string", "format": "uuid", "nullable": True}
    required = []
    for f in obj.active_fields:
        ft = reg.field_type(f)
        schema = dict(ft.json_schema(f) or {})
        schema.setdefault("description", label_text(f.label, "en"))
        props[f.name] = schema
        if not ft.computed and not f.read_only:
            inputs[f.name] = schema
            if f.required:
                required.append(f.name)
    record = {"type": "object", "properties": props}
    inp: dict[str, Any] = {"type": "object", "properties": inputs, "additionalProperties": False}
    if required:
        inp["required"] = required
    return record, inp


def _schema_name(obj: ObjectDef) -> str:
    return "".join(p.capitalize() for p in obj.name.split("_"))


def build(app: FastAPI, reg: Registry) -> dict[str, Any]:
    doc = get_openapi(
        title=app.title,
        version=app.version,
        routes=app.routes,
        description="Accord REST API v1. Errors are RFC 9457 problem+json.",
    )
    comps = doc.setdefault("components", {})
    schemas = comps.setdefault("schemas", {})
    comps["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    doc["security"] = [{"bearer": []}]
    schemas["Problem"] = {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "field": {"type": "string", "nullable": True},
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    }
    paths = doc.setdefault("paths", {})
    for obj in sorted(reg.objects.values(), key=lambda o: o.name):
        if obj.status != "active":
            continue
        name = _schema_name(obj)
        record, inp = object_schemas(reg, obj)
        schemas[name] = record
        schemas[f"{name}Input"] = inp
        ref = {"$ref": f"#/components/schemas/{name}"}
        in_ref = {"$ref": f"#/components/schemas/{name}Input"}
        tag = f"records: {obj.name}"
        list_params = [
            {
                "name": "filter",
                "in": "query",
                "schema": {"type": "string"},
                "description": "JSON condition tree",
            },
            {"name": "sort", "in": "query", "schema": {"type": "string"}},
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 500},
            },
            {"name": "cursor", "in": "query", "schema": {"type": "string"}},
            {"name": "fields", "in": "query", "schema": {"type": "string"}},
        ]
        page = {
            "type": "object",
            "properties": {
                "data": {"type": "array", "items": ref},
                "next_cursor": {"type": "string", "nullable": True},
            },
        }
        paths[f"/api/v1/records/{obj.name}"] = {
            "get": {
                "tags": [tag],
                "summary": f"List {label_text(obj.plural_label, 'en')}",
                "operationId": f"list_{obj.name}",
                "parameters": list_params,
                "responses": {
                    "200": {
                        "description": "A page",
                        "content": {"application/json": {"schema": page}},
                    },
                    **_problem_responses(400, 401, 404, 422),
                },
            },
            "post": {
                "tags": [tag],
                "summary": f"Create a {label_text(obj.label, 'en')}",
                "operationId": f"create_{obj.name}",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": in_ref}},
                },
                "responses": {
                    "201": {
                        "description": "Created",
                        "content": {"application/json": {"schema": ref}},
                    },
                    **_problem_responses(400, 401, 404, 409, 413, 422),
                },
            },
        }
        id_param = {
            "name": "id",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "uuid"},
        }
        patch_schema = {**inp, "required": []}
        paths[f"/api/v1/records/{obj.name}/{{id}}"] = {
            "get": {
                "tags": [tag],
                "operationId": f"get_{obj.name}",
                "parameters": [id_param],
                "responses": {
                    "200": {
                        "description": "The record",
                        "content": {"application/json": {"schema": ref}},
                    },
                    **_problem_responses(401, 404),
                },
            },
            "patch": {
                "tags": [tag],
                "operationId": f"update_{obj.name}",
                "parameters": [
                    id_param,
                    {"name": "If-Match", "in": "header", "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": patch_schema}},
                },
                "responses": {
                    "200": {
                        "description": "Updated",
                        "content": {"application/json": {"schema": ref}},
                    },
                    **_problem_responses(400, 401, 404, 409, 412, 422),
                },
            },
            "delete": {
                "tags": [tag],
                "operationId": f"delete_{obj.name}",
                "parameters": [id_param],
                "responses": {
                    "204": {"description": "Moved to the recycle bin"},
                    **_problem_responses(401, 404),
                },
            },
        }
    return doc


def install_openapi(app: FastAPI, runtime: Runtime) -> None:
    def openapi() -> dict[str, Any]:
        with unit_of_work(runtime.engine, readonly=True) as conn:
            reg = load(Context(runtime=runtime, conn=conn))
        cached = runtime.caches.get("openapi")
        if cached is not None and cached[0] == reg.version:
            return cached[1]  # type: ignore[no-any-return]
        doc = build(app, reg)
        runtime.caches["openapi"] = (reg.version, doc)
        return doc

    app.openapi = openapi  # type: ignore[method-assign]

"""Organisation endpoints: users, departments, roles, role assignments, my permissions."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any

from fastapi import Body, Query
from starlette.responses import Response

from accord.api.deps import ReadCtx, WriteCtx, api_router
from accord.api.responses import json_response
from accord.auth import org, roles
from accord.auth.permissions import DENY, ObjectAccess, permissions_for
from accord.core.context import Context
from accord.core.errors import FieldError, Invalid
from accord.meta.registry import load as load_registry

router = api_router(prefix="/api/v1", tags=["organisation"])


def _catalog(ctx: Context) -> roles.Catalog:
    """Field names of each active object, so roles name only what exists."""
    objects = load_registry(ctx).objects

    def fields(name: str) -> Collection[str] | None:
        obj = objects.get(name)
        if obj is None or obj.status != "active":
            return None
        return {f.name for f in obj.active_fields} | ({"owner_id"} if obj.ownable else set())

    return fields


# --- users ---------------------------------------------------------------------------------


@router.get("/users", summary="List users (filter by department, status, text; keyset pages)")
def list_users(
    ctx: ReadCtx,
    department_id: str | None = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Response:
    data, next_cursor = org.list_users(
        ctx, department_id=department_id, active=active, q=q, limit=limit, cursor=cursor
    )
    return json_response({"data": data, "next_cursor": next_cursor})


@router.post("/users", status_code=201, summary="Create a user (administrators)")
def create_user(ctx: WriteCtx, body: Annotated[dict[str, Any], Body()]) -> Response:
    return json_response(org.create_user(ctx, body), 201)


@router.get("/users/{id}", summary="Get a user")
def get_user(ctx: ReadCtx, id: str) -> Response:
    return json_response(org.get_user(ctx, id))


@router.patch("/users/{id}", summary="Change a user's profile, department, manager or status")
def patch_user(ctx: WriteCtx, id: str, body: Annotated[dict[str, Any], Body()]) -> Response:
    return json_response(org.update_user(ctx, id, body))


@router.get("/users/{id}/roles", summary="The roles a user holds")
def get_user_roles(ctx: ReadCtx, id: str) -> Response:
    return json_response({"data": roles.roles_of(ctx, id)})


@router.put("/users/{id}/roles", summary="Set the roles of a user (administrators)")
def put_user_roles(ctx: WriteCtx, id: str, body: Annotated[dict[str, Any], Body()]) -> Response:
    if set(body) != {"roles"}:
        raise Invalid(
            "INVALID_ASSIGNMENT",
            'Send {"roles": ["sales_rep", …]}.',
            [FieldError("roles", "REQUIRED", "a list of role names")],
        )
    return json_response({"data": roles.set_user_roles(ctx, id, body["roles"])})


# --- departments ---------------------------------------------------------------------------


@router.get("/departments", summary="List departments (flat, or nested with tree=true)")
def list_departments(ctx: ReadCtx, tree: bool = False) -> Response:
    data = org.department_tree(ctx) if tree else org.list_departments(ctx)
    return json_response({"data": data})


@router.post("/departments", status_code=201, summary="Create a department (administrators)")
def create_department(ctx: WriteCtx, body: Annotated[dict[str, Any], Body()]) -> Response:
    return json_response(org.create_department(ctx, body), 201)


@router.get("/departments/{id}", summary="Get a department")
def get_department(ctx: ReadCtx, id: str) -> Response:
    return json_response(org.get_department(ctx, id))


@router.patch("/departments/{id}", summary="Rename or move a department (administrators)")
def patch_department(ctx: WriteCtx, id: str, body: Annotated[dict[str, Any], Body()]) -> Response:
    return json_response(org.update_department(ctx, id, body))


@router.delete("/departments/{id}", status_code=204, summary="Delete an empty department")
def delete_department(ctx: WriteCtx, id: str) -> Response:
    org.delete_department(ctx, id)
    return Response(status_code=204)


# --- roles ---------------------------------------------------------------------------------


@router.get("/roles", summary="List roles with grants and field permissions (administrators)")
def list_roles(ctx: ReadCtx) -> Response:
    return json_response({"data": roles.list_roles(ctx)})


@router.post("/roles", status_code=201, summary="Create a role (administrators)")
def create_role(ctx: WriteCtx, body: Annotated[dict[str, Any], Body()]) -> Response:
    return json_response(roles.create_role(ctx, body, catalog=_catalog(ctx)), 201)


@router.get("/roles/{name}", summary="Get a role (administrators)")
def get_role(ctx: ReadCtx, name: str) -> Response:
    return json_response(roles.get_role(ctx, name))


@router.patch("/roles/{name}", summary="Change a role; grants and field permissions merge")
def patch_role(ctx: WriteCtx, name: str, body: Annotated[dict[str, Any], Body()]) -> Response:
    return json_response(roles.update_role(ctx, name, body, catalog=_catalog(ctx)))


@router.delete("/roles/{name}", status_code=204, summary="Delete a custom role nobody holds")
def delete_role(ctx: WriteCtx, name: str) -> Response:
    roles.delete_role(ctx, name)
    return Response(status_code=204)


# --- me ------------------------------------------------------------------------------------


def _access(a: ObjectAccess) -> dict[str, Any]:
    return {
        "create": a.create,
        "read": a.read,
        "update": a.update,
        "delete": a.delete,
        "import": a.import_,
        "export": a.export,
        "read_scope": a.read_scope,
        "write_scope": a.write_scope,
        "hidden_fields": sorted(a.hidden_fields),
        "readonly_fields": sorted(a.readonly_fields),
    }


@router.get("/me/permissions", summary="The acting user's effective permissions per object")
def my_permissions(ctx: ReadCtx) -> Response:
    perms = permissions_for(ctx, ctx.actor)
    names = sorted(n for n, o in load_registry(ctx).objects.items() if o.status == "active")
    # Objects the user may do nothing with are left out: absent means denied.
    objects = {n: _access(a) for n in names if (a := perms.object(n)) != DENY}
    return json_response(
        {
            "user_id": perms.user_id,
            "is_admin": perms.is_admin,
            "roles": list(perms.role_names),
            "department_ids": sorted(perms.department_ids),
            "objects": objects,
        }
    )

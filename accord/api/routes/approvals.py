"""Approvals: flow definitions (administrators), submitting records, acting on tasks, the
inboxes. Thin: each route parses, calls ``accord.workflow``, shapes the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Header, Request
from starlette.responses import Response

from accord.api.deps import ReadCtx, WriteCtx, api_router, expected_version
from accord.api.responses import json_response
from accord.core.errors import BadRequest
from accord.workflow import actions, inbox
from accord.workflow import service as flows

router = api_router(prefix="/api/v1", tags=["approvals"])

Json = Annotated[Any, Body()]


# --- flows -----------------------------------------------------------------------------------


@router.get("/approval-flows", summary="List approval flows (?object=)")
def list_flows(ctx: ReadCtx, request: Request) -> Response:
    return json_response({"data": flows.list_flows(ctx, request.query_params.get("object"))})


@router.post("/approval-flows", status_code=201, summary="Create an approval flow")
def create_flow(ctx: WriteCtx, body: Json) -> Response:
    return json_response(flows.create_flow(ctx, body), 201)


@router.post("/approval-flows:check", summary="Check a definition without saving it")
def check_flow(ctx: ReadCtx, body: Json) -> Response:
    errors = flows.check(ctx, body)
    return json_response(
        {
            "valid": not errors,
            "errors": [{"field": e.field, "code": e.code, "message": e.message} for e in errors],
        }
    )


@router.get("/approval-flows/{ref}", summary="Get a flow (by id or name)")
def get_flow(ctx: ReadCtx, ref: str) -> Response:
    return json_response(flows.get_flow(ctx, ref))


@router.patch("/approval-flows/{ref}", summary="Change a flow (If-Match: version); new version")
def update_flow(
    ctx: WriteCtx, ref: str, body: Json, if_match: Annotated[str | None, Header()] = None
) -> Response:
    version = expected_version(if_match, body)
    return json_response(flows.update_flow(ctx, ref, body, version=version))


@router.delete("/approval-flows/{ref}", status_code=204, summary="Delete a flow not in use")
def delete_flow(ctx: WriteCtx, ref: str) -> Response:
    flows.delete_flow(ctx, ref)
    return Response(status_code=204)


@router.post("/approval-flows/{ref}/enable", summary="Switch a flow on")
def enable_flow(ctx: WriteCtx, ref: str) -> Response:
    return json_response(flows.set_enabled(ctx, ref, True))


@router.post("/approval-flows/{ref}/disable", summary="Switch a flow off")
def disable_flow(ctx: WriteCtx, ref: str) -> Response:
    return json_response(flows.set_enabled(ctx, ref, False))


@router.get("/approval-flows/{ref}/versions", summary="Every saved version, newest first")
def flow_versions(ctx: ReadCtx, ref: str) -> Response:
    return json_response({"data": flows.versions(ctx, ref)})


# --- records and instances -------------------------------------------------------------------


@router.post(
    "/records/{object_name}/{record_id}/approvals",
    status_code=201,
    summary="Submit a record for approval: {flow?, comment?, attachments?, approvers?}",
)
def submit(ctx: WriteCtx, object_name: str, record_id: str, body: Json = None) -> Response:
    return json_response(actions.submit(ctx, object_name, record_id, body), 201)


@router.get("/records/{object_name}/{record_id}/approvals", summary="A record's approvals")
def record_approvals(ctx: ReadCtx, object_name: str, record_id: str) -> Response:
    return json_response({"data": actions.for_record(ctx, object_name, record_id)})


@router.get("/approvals/inbox", summary="My box: ?box=pending|submitted|handled|cc&before=")
def my_box(ctx: ReadCtx, request: Request) -> Response:
    q = request.query_params
    try:
        limit = int(q.get("limit", "50"))
    except ValueError:
        raise BadRequest("INVALID_PARAMETER", "limit must be a whole number.") from None
    return json_response(
        inbox.box(ctx, q.get("box", "pending"), limit=limit, before=q.get("before"))
    )


@router.get("/approvals/counts", summary="Badge counts: pending, cc_unread, submitted_running")
def my_counts(ctx: ReadCtx) -> Response:
    return json_response(inbox.counts(ctx))


@router.get("/approvals/{instance_id}", summary="An approval: tasks, trail, steps ahead")
def get_approval(ctx: ReadCtx, instance_id: str) -> Response:
    return json_response(actions.view(ctx, instance_id))


@router.post("/approvals/{instance_id}/withdraw", summary="Withdraw (submitter): {comment?}")
def withdraw(ctx: WriteCtx, instance_id: str, body: Json = None) -> Response:
    return json_response(actions.withdraw(ctx, instance_id, body))


@router.post("/approvals/{instance_id}/resubmit", summary="Resubmit after return or withdrawal")
def resubmit(ctx: WriteCtx, instance_id: str, body: Json = None) -> Response:
    return json_response(actions.resubmit(ctx, instance_id, body))


@router.post("/approvals/{instance_id}/urge", summary="Remind the current approvers (催办)")
def urge(ctx: WriteCtx, instance_id: str) -> Response:
    return json_response(actions.urge(ctx, instance_id))


@router.post("/approvals/{instance_id}/comments", summary="Comment: {comment, attachments?}")
def comment(ctx: WriteCtx, instance_id: str, body: Json = None) -> Response:
    return json_response(actions.comment(ctx, instance_id, body))


# --- tasks -----------------------------------------------------------------------------------


@router.post("/approval-tasks/{task_id}/approve", summary="Approve: {comment?, next_approvers?}")
def approve(ctx: WriteCtx, task_id: str, body: Json = None) -> Response:
    return json_response(actions.approve(ctx, task_id, body))


@router.post(
    "/approval-tasks/{task_id}/reject", summary="Reject: {comment?, to: end|submitter|<node id>}"
)
def reject(ctx: WriteCtx, task_id: str, body: Json = None) -> Response:
    return json_response(actions.reject(ctx, task_id, body))


@router.post("/approval-tasks/{task_id}/transfer", summary="Transfer (转交): {to, comment?}")
def transfer(ctx: WriteCtx, task_id: str, body: Json = None) -> Response:
    return json_response(actions.transfer(ctx, task_id, body))


@router.post("/approval-tasks/{task_id}/delegate", summary="Delegate (委派): {to, comment?}")
def delegate(ctx: WriteCtx, task_id: str, body: Json = None) -> Response:
    return json_response(actions.delegate(ctx, task_id, body))


@router.post("/approval-tasks/{task_id}/reclaim", summary="Take back a delegated task")
def reclaim(ctx: WriteCtx, task_id: str) -> Response:
    return json_response(actions.reclaim(ctx, task_id))


@router.post(
    "/approval-tasks/{task_id}/signers",
    summary="Add signers (加签): {users, position: before|after, comment?}",
)
def add_signers(ctx: WriteCtx, task_id: str, body: Json = None) -> Response:
    return json_response(actions.add_signers(ctx, task_id, body))


@router.delete("/approval-tasks/{task_id}", summary="Remove an added signer (减签)")
def remove_signer(ctx: WriteCtx, task_id: str) -> Response:
    return json_response(actions.remove_signer(ctx, task_id))


@router.post("/approval-tasks/{task_id}/read", summary="Mark a copy (CC) read")
def mark_read(ctx: WriteCtx, task_id: str) -> Response:
    return json_response(actions.mark_read(ctx, task_id))

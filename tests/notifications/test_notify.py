"""notify(): in-app rows per recipient, rendered in their language and as them (hidden fields
never leak), skipped recipients, and the save-time checks of messages and recipients."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from accord.auth import org, roles
from accord.core.context import Context
from accord.core.errors import Invalid
from accord.notifications import inbox
from accord.notifications.service import (
    Message,
    check_message,
    check_recipients,
    notify,
    notify_admins,
)
from accord.notifications.tables import notifications
from accord.records import service as records
from tests.notifications.conftest import Acting, MakeUser, secret_object

HELLO = Message(
    "system",
    {"zh": "你好，{{ user.name }}", "en": "Hello {{ user.name }}"},
    {"en": "Rule {{ rule }} fired", "zh": "规则 {{ rule }} 已触发"},
    data={"rule": "R1"},
)


def test_each_recipient_gets_an_in_app_row_in_their_language(
    ctx: Context, make_user: MakeUser, acting: Acting
) -> None:
    zh = make_user("wang", locale="zh_CN")
    en = make_user("smith", locale="en")
    result = notify(ctx, [zh["id"], en["id"]], HELLO)
    assert len(result.notification_ids) == 2 and result.skipped == []
    [mine] = inbox.list_notifications(acting(zh)).data
    assert (mine["title"], mine["body"], mine["read"]) == ("你好，wang", "规则 R1 已触发", False)
    [theirs] = inbox.list_notifications(acting(en)).data
    assert (theirs["title"], theirs["body"]) == ("Hello smith", "Rule R1 fired")


def test_hidden_fields_never_reach_a_recipient_who_may_not_see_them(
    ctx: Context, make_user: MakeUser, acting: Acting, unique: str
) -> None:
    obj, role = secret_object(ctx, unique)
    reader = make_user("reader", locale="en")
    roles.set_user_roles(ctx, reader["id"], [role])
    admin = make_user("boss", locale="en", is_admin=True)
    rec = records.create(ctx, obj, {"name": "Big deal", "secret": f"S3CRET-{unique}"})
    message = Message(
        "automation",
        {"en": "{{ record.name }} needs you"},
        {"en": "secret={{ record.secret }}"},
        object_name=obj,
        record_id=rec["id"],
    )
    notify(ctx, [reader["id"], admin["id"]], message)
    [seen_by_reader] = inbox.list_notifications(acting(reader)).data
    [seen_by_admin] = inbox.list_notifications(acting(admin)).data
    assert seen_by_reader["title"] == "Big deal needs you"
    assert f"S3CRET-{unique}" not in str(seen_by_reader)
    assert seen_by_reader["body"] == "secret="
    assert seen_by_admin["body"] == f"secret=S3CRET-{unique}"
    assert seen_by_admin["url"] == f"/records/{obj}/{rec['id']}"


def test_a_recipient_who_cannot_read_the_record_is_skipped(
    ctx: Context, make_user: MakeUser, acting: Acting, unique: str
) -> None:
    obj, _ = secret_object(ctx, unique)
    nobody = make_user("nobody")  # no role: may not read the object
    rec = records.create(ctx, obj, {"name": "x"})
    message = Message(
        "automation", {"en": "{{ record.name }}"}, object_name=obj, record_id=rec["id"]
    )
    result = notify(ctx, [nobody["id"]], message)
    assert result.notification_ids == [] and result.skipped == [(nobody["id"], "no_access")]
    assert inbox.list_notifications(acting(nobody)).data == []


def test_unknown_and_disabled_recipients_are_skipped_at_send_time(
    ctx: Context, make_user: MakeUser
) -> None:
    gone = make_user("gone")
    org.disable_user(ctx, gone["id"])
    ghost = "01900000-0000-7000-8000-000000000001"
    result = notify(ctx, [gone["id"], ghost, "not-an-id"], HELLO)
    assert result.notification_ids == []
    assert dict(result.skipped) == {
        gone["id"]: "inactive",
        ghost: "unknown_user",
        "not-an-id": "unknown_user",
    }


def test_notify_admins_reaches_every_active_administrator(
    ctx: Context, make_user: MakeUser
) -> None:
    boss = make_user("boss", is_admin=True)
    result = notify_admins(ctx, HELLO)
    rows = ctx.conn.execute(
        select(notifications.c.user_id).where(notifications.c.id.in_(result.notification_ids))
    ).scalars()
    assert boss["id"] in {str(r) for r in rows}


def test_an_unknown_kind_or_a_bad_template_is_refused(ctx: Context, make_user: MakeUser) -> None:
    u = make_user()
    with pytest.raises(Invalid) as exc:
        notify(ctx, [u["id"]], Message("nope", {"en": "x"}))
    assert exc.value.code == "NOTIFICATION_KIND_UNKNOWN"
    with pytest.raises(Invalid) as exc:
        notify(ctx, [u["id"]], Message("system", {"en": "{{ oops"}))
    assert exc.value.code == "NOTIFICATION_TEMPLATE_INVALID"


def _codes(errors: list[Any]) -> dict[str, str]:
    return {e.field: e.code for e in errors}


def test_check_message_names_every_problem() -> None:
    assert check_message({"zh": "{{ record.name }} 过期", "en": "{{ record.name }} is stale"}) == []
    errors = check_message(
        {"en": "{% if x %}unclosed", "fr": "Bonjour"}, {"zh": "{{ a | }}", "en": "x" * 10_001}
    )
    assert _codes(errors) == {
        "title.en": "NOTIFICATION_TEMPLATE_INVALID",
        "title.fr": "NOTIFICATION_LANGUAGE_UNKNOWN",
        "body.zh": "NOTIFICATION_TEMPLATE_INVALID",
        "body.en": "NOTIFICATION_TEMPLATE_TOO_LONG",
    }
    assert "line 1" in errors[0].message
    assert _codes(check_message({})) == {"title": "NOTIFICATION_TEMPLATE_INVALID"}
    assert _codes(check_message("text")) == {"title": "NOTIFICATION_TEMPLATE_INVALID"}


def test_sandbox_refuses_unsafe_attribute_access(
    ctx: Context, make_user: MakeUser, acting: Acting
) -> None:
    u = make_user(locale="en")
    evil = Message("system", {"en": "{{ ''.__class__.__mro__ }}x"})
    notify(ctx, [u["id"]], evil)
    [row] = inbox.list_notifications(acting(u)).data
    assert "object" not in row["title"]


def test_check_recipients_refuses_unknown_and_disabled_users(
    ctx: Context, make_user: MakeUser
) -> None:
    ok, gone = make_user("ok"), make_user("gone")
    org.disable_user(ctx, gone["id"])
    ghost = "01900000-0000-7000-8000-000000000002"
    errors = check_recipients(ctx, [ok["id"], gone["id"], ghost, 42])
    assert _codes(errors) == {
        "user_ids.1": "NOTIFICATION_RECIPIENT_INVALID",
        "user_ids.2": "NOTIFICATION_RECIPIENT_INVALID",
        "user_ids.3": "NOTIFICATION_RECIPIENT_INVALID",
    }
    assert gone["login"] in errors[0].message and "disabled" in errors[0].message
    assert ghost in errors[1].message

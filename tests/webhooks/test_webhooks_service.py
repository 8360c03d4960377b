"""The services other packages call (``deliver``, ``check_ref``) and the outbox consumer, on
the real database with a real receiver on 127.0.0.1."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import Connection, event

from accord.auth.identity import actor_for, find_user
from accord.core.clock import FixedClock
from accord.core.context import Context, Runtime
from accord.core.errors import Conflict, Invalid, NotFound
from accord.db.engine import unit_of_work
from accord.engines import drain
from accord.meta import service as meta
from accord.records import service as records
from accord.records.outbox import Event
from accord.webhooks import consumer, service, tasks
from tests.conftest import ADMIN_LOGIN
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver(fixed_clock: FixedClock) -> Iterator[Receiver]:
    rx = Receiver(fixed_clock.now)
    yield rx
    rx.close()


def _admin(ctx: Context) -> Context:
    user = find_user(ctx.conn, ADMIN_LOGIN)
    assert user is not None
    return ctx.as_actor(actor_for(user))


@pytest.fixture
def obj(fixed_runtime: Runtime, unique: str) -> str:
    name = f"svc_hook_{unique}"
    with unit_of_work(fixed_runtime.engine) as conn:
        meta.create_object(
            Context(runtime=fixed_runtime, conn=conn),
            {
                "name": name,
                "label": {"en": name, "zh": name},
                "plural_label": {"en": name, "zh": name},
                "fields": [{"name": "name", "type": "text", "label": {"en": "N", "zh": "名"}}],
            },
        )
    return name


@pytest.fixture
def hook(fixed_runtime: Runtime, receiver: Receiver, unique: str) -> Iterator[dict[str, Any]]:
    """A subscription used only by rule actions (no record events)."""
    with unit_of_work(fixed_runtime.engine) as conn:
        ctx = _admin(Context(runtime=fixed_runtime, conn=conn))
        sub = service.create_subscription(ctx, {"name": f"erp-{unique}", "url": receiver.url})
    receiver.secret = sub["secret"]
    yield sub
    with unit_of_work(fixed_runtime.engine) as conn, contextlib.suppress(NotFound):
        service.delete_subscription(_admin(Context(runtime=fixed_runtime, conn=conn)), sub["id"])


def test_deliver_queues_with_the_callers_transaction_and_the_worker_sends_it(
    fixed_runtime: Runtime, receiver: Receiver, hook: dict[str, Any], obj: str
) -> None:
    with unit_of_work(fixed_runtime.engine) as conn:
        ctx = Context(runtime=fixed_runtime, conn=conn)  # the rule engine acts as the system
        rec = records.create(ctx, obj, {"name": "合同 42"})
    # A caller that rolls back leaves no delivery behind
    with pytest.raises(RuntimeError), unit_of_work(fixed_runtime.engine) as conn:
        ctx = Context(runtime=fixed_runtime, conn=conn)
        service.deliver(ctx, hook["name"], "automation.rolled_back", None, None, {})
        raise RuntimeError("the rule failed")
    with unit_of_work(fixed_runtime.engine) as conn:
        ctx = Context(runtime=fixed_runtime, conn=conn)
        data = {"amount": Decimal("12.50"), "due": date(2026, 2, 1), "at": datetime.now(UTC)}
        did = service.deliver(ctx, hook["id"], "automation.合同已签署", obj, rec["id"], data)
    assert isinstance(did, int)

    drain(fixed_runtime)

    [got] = receiver.got
    # a rule named in Chinese: exact in the body, percent-encoded UTF-8 in the header
    assert got.json["event"] == "automation.合同已签署"
    assert got.verified and unquote(got.headers["Accord-Event"]) == "automation.合同已签署"
    assert got.json["id"] == did and got.json["record_id"] == rec["id"]
    assert got.json["record"]["name"] == "合同 42"
    assert got.json["data"]["amount"] == "12.50" and got.json["data"]["due"] == "2026-02-01"
    with unit_of_work(fixed_runtime.engine) as conn:
        d = service.get_delivery(_admin(Context(runtime=fixed_runtime, conn=conn)), did)
    assert d["status"] == "succeeded" and [a["status"] for a in d["attempt_log"]] == [200]


def test_check_ref_names_unknown_and_switched_off_webhooks(
    fixed_runtime: Runtime, receiver: Receiver, hook: dict[str, Any]
) -> None:
    with unit_of_work(fixed_runtime.engine) as conn:
        ctx = _admin(Context(runtime=fixed_runtime, conn=conn))
        assert service.check_ref(ctx, hook["name"]) == []
        assert service.check_ref(ctx, hook["id"]) == []
        for ref in ("no-such-hook", None, 42, "x" * 500):
            [err] = service.check_ref(ctx, ref)
            assert (err.field, err.code) == ("webhook", "WEBHOOK_NOT_FOUND")
        service.update_subscription(ctx, hook["id"], {"enabled": False})
        [err] = service.check_ref(ctx, hook["name"])
        assert err.code == "WEBHOOK_DISABLED"
        # a call to a switched-off webhook is kept, dead and visible, not lost
        did = service.deliver(ctx, hook["name"], "automation.x", None, None, {"n": 1})
        d = service.get_delivery(ctx, did)
        assert d["status"] == "dead" and d["last_error"] == "The subscription is switched off."
        with pytest.raises(Conflict) as refused:
            service.redeliver(ctx, did)
        assert refused.value.code == "WEBHOOK_DISABLED"
    drain(fixed_runtime)
    assert receiver.got == []


def test_deliver_refuses_bad_input_naming_each_problem(
    fixed_runtime: Runtime, hook: dict[str, Any]
) -> None:
    with unit_of_work(fixed_runtime.engine) as conn:
        ctx = Context(runtime=fixed_runtime, conn=conn)
        with pytest.raises(Invalid) as bad:
            service.deliver(ctx, hook["name"], "bad\nevent", "nope", "x", {"o": object()})
        assert bad.value.code == "WEBHOOK_DELIVERY_INVALID"
        assert {(e.field, e.code) for e in bad.value.errors} == {
            ("event", "WEBHOOK_EVENT_INVALID"),
            ("object_name", "WEBHOOK_OBJECTS_INVALID"),
            ("record_id", "WEBHOOK_RECORD_INVALID"),
            ("data", "WEBHOOK_DATA_INVALID"),
        }
        with pytest.raises(NotFound) as missing:
            service.deliver(ctx, "no-such-hook", "automation.x", None, None, {})
        assert missing.value.code == "WEBHOOK_NOT_FOUND"


def test_a_deleted_record_is_sent_as_it_was_and_a_deleted_subscription_sends_nothing(
    fixed_runtime: Runtime, receiver: Receiver, hook: dict[str, Any], obj: str
) -> None:
    with unit_of_work(fixed_runtime.engine) as conn:
        ctx = _admin(Context(runtime=fixed_runtime, conn=conn))
        service.update_subscription(ctx, hook["id"], {"objects": [obj], "events": ["deleted"]})
        rec = records.create(ctx, obj, {"name": "作废"})
        records.delete(ctx, obj, rec["id"])
    drain(fixed_runtime)
    [got] = receiver.about(rec["id"])
    assert got.json["event"] == "record.deleted" and got.json["record"]["name"] == "作废"

    # A queued attempt whose subscription is deleted meanwhile finds nothing to send
    with unit_of_work(fixed_runtime.engine) as conn:
        service.ping(_admin(Context(runtime=fixed_runtime, conn=conn)), hook["id"])
    with unit_of_work(fixed_runtime.engine) as conn:
        service.delete_subscription(_admin(Context(runtime=fixed_runtime, conn=conn)), hook["id"])
    drain(fixed_runtime)
    assert len(receiver.got) == 1


def _count(conn: Connection) -> list[str]:
    seen: list[str] = []
    event.listen(conn, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def _events(ids: list[str], obj: str) -> list[Event]:
    at = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    return [Event(-i - 1, at, obj, rid, "created", None, {}, 0) for i, rid in enumerate(ids)]


def test_the_consumer_costs_one_query_without_subscribers_and_the_same_for_any_batch(
    fixed_runtime: Runtime, hook: dict[str, Any], obj: str
) -> None:
    with unit_of_work(fixed_runtime.engine) as conn:
        ctx = Context(runtime=fixed_runtime, conn=conn)
        ids = [records.create(ctx, obj, {"name": f"r{i}"})["id"] for i in range(60)]

    def statements(n: int) -> list[str]:
        with fixed_runtime.engine.connect() as conn:
            tx = conn.begin()
            ctx = Context(runtime=fixed_runtime, conn=conn)
            seen = _count(conn)
            consumer.consume(ctx, _events(ids[:n], obj))
            tx.rollback()
        return seen

    # Nobody listens to this object: one query for the batch, whatever its size
    assert len(statements(60)) == 1
    with unit_of_work(fixed_runtime.engine) as conn:
        ctx = _admin(Context(runtime=fixed_runtime, conn=conn))
        service.update_subscription(ctx, hook["id"], {"objects": [obj], "events": ["created"]})
    few, many = statements(3), statements(60)
    assert len(few) == len(many), many
    assert sum("INSERT INTO webhook_deliveries" in s for s in many) == 1
    assert sum("INSERT INTO jobs" in s for s in many) == 1


def test_old_finished_deliveries_are_purged_and_pending_ones_kept(
    fixed_runtime: Runtime, fixed_clock: FixedClock, receiver: Receiver, hook: dict[str, Any]
) -> None:
    with unit_of_work(fixed_runtime.engine) as conn:
        ctx = Context(runtime=fixed_runtime, conn=conn)
        sent = service.deliver(ctx, hook["name"], "automation.old", None, None, {})
    drain(fixed_runtime)
    with unit_of_work(fixed_runtime.engine) as conn:
        ctx = Context(runtime=fixed_runtime, conn=conn)
        waiting = service.deliver(ctx, hook["name"], "automation.waiting", None, None, {})
    fixed_clock.advance(days=31)
    with unit_of_work(fixed_runtime.engine) as conn:
        ctx = _admin(Context(runtime=fixed_runtime, conn=conn))
        assert tasks.purge_deliveries(ctx, {})["succeeded"] >= 1
        with pytest.raises(NotFound):
            service.get_delivery(ctx, sent)
        assert service.get_delivery(ctx, waiting)["status"] == "pending"

"""Metadata: check → plan → apply on the real database, versioned and logged."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from accord.core.context import Context
from accord.core.errors import Conflict, Invalid
from accord.meta import service as meta
from accord.records import service as records


def _obj(name: str, *fields: dict) -> dict:
    return {
        "name": name,
        "label": {"en": "Thing", "zh": "东西"},
        "plural_label": {"en": "Things", "zh": "东西"},
        "fields": [
            {
                "name": "name",
                "type": "text",
                "label": {"en": "Name", "zh": "名称"},
                "required": True,
                "searchable": True,
            },
            *fields,
        ],
    }


def test_create_object_makes_a_real_table_with_system_columns(ctx: Context, unique: str) -> None:
    name = f"thing_{unique}"
    meta.create_object(ctx, _obj(name))
    cols = {c["name"] for c in inspect(ctx.conn).get_columns(f"obj_{name}")}
    assert {
        "id",
        "version",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "owner_id",
        "deleted_at",
        "name",
    } <= cols


def test_add_field_adds_column_and_unique_index(ctx: Context, unique: str) -> None:
    name = f"thing_{unique}"
    meta.create_object(ctx, _obj(name))
    meta.add_field(
        ctx,
        name,
        {"name": "code", "type": "text", "unique": True, "label": {"en": "Code", "zh": "编码"}},
    )
    insp = inspect(ctx.conn)
    assert "code" in {c["name"] for c in insp.get_columns(f"obj_{name}")}
    uniques = [i for i in insp.get_indexes(f"obj_{name}") if i["unique"]]
    assert any(i["column_names"] == ["code"] for i in uniques)
    records.create(ctx, name, {"name": "a", "code": "X1"})
    with pytest.raises(Invalid) as err:
        records.create(ctx, name, {"name": "b", "code": "X1"})
    assert err.value.errors[0].code == "NOT_UNIQUE"


def test_label_change_needs_no_ddl_and_is_logged_with_a_diff(ctx: Context, unique: str) -> None:
    name = f"thing_{unique}"
    meta.create_object(ctx, _obj(name))
    actions = meta.apply_definitions(
        ctx,
        [meta.get_object(ctx, name).with_(label={"en": "Gadget", "zh": "小工具"})],
        action="update_object",
        dry_run=True,
    )
    assert actions == []
    meta.update_object(ctx, name, {"label": {"en": "Gadget", "zh": "小工具"}})
    log = meta.history(ctx, name)
    assert log[0]["action"] == "update_object"
    assert log[0]["diff"]["object"]["label"] == [
        {"en": "Thing", "zh": "东西"},
        {"en": "Gadget", "zh": "小工具"},
    ]
    assert log[0]["actor_id"] == ctx.actor.id


@pytest.mark.parametrize("bad", ["select", "has space", "Name", "x" * 60, "id", "a__b", "drop"])
def test_unsafe_or_reserved_field_names_are_refused(ctx: Context, unique: str, bad: str) -> None:
    name = f"thing_{unique}"
    meta.create_object(ctx, _obj(name))
    with pytest.raises(Invalid) as err:
        meta.add_field(ctx, name, {"name": bad, "type": "text", "label": {"en": "X", "zh": "X"}})
    assert err.value.errors[0].code in ("meta.E003", "INVALID_DEFINITION")


def test_invalid_definition_reports_every_problem_with_stable_ids(
    ctx: Context, unique: str
) -> None:
    with pytest.raises(Invalid) as err:
        meta.create_object(
            ctx,
            {
                "name": f"thing_{unique}",
                "label": {"en": "T"},
                "fields": [
                    {"name": "a", "type": "nope", "label": {"en": "A", "zh": "A"}},
                    {"name": "order", "type": "text", "label": {"en": "O", "zh": "O"}},
                ],
            },
        )
    ids = {e.code for e in err.value.errors}
    assert {"meta.E002", "meta.E005", "meta.E003"} <= ids


def test_archived_field_keeps_data_until_purged(ctx: Context, unique: str) -> None:
    name = f"thing_{unique}"
    meta.create_object(
        ctx, _obj(name, {"name": "note", "type": "text", "label": {"en": "Note", "zh": "备注"}})
    )
    rec = records.create(ctx, name, {"name": "a", "note": "keep me"})
    meta.archive_field(ctx, name, "note")
    assert "note" not in records.get(ctx, name, rec["id"])
    cols = {c["name"] for c in inspect(ctx.conn).get_columns(f"obj_{name}")}
    assert "note" in cols
    meta.purge_field(ctx, name, "note")
    cols = {c["name"] for c in inspect(ctx.conn).get_columns(f"obj_{name}")}
    assert "note" not in cols


def test_type_change_converts_or_names_the_rows_that_would_not(ctx: Context, unique: str) -> None:
    name = f"thing_{unique}"
    meta.create_object(
        ctx, _obj(name, {"name": "qty", "type": "text", "label": {"en": "Qty", "zh": "数量"}})
    )
    good = records.create(ctx, name, {"name": "a", "qty": "12"})
    bad = records.create(ctx, name, {"name": "b", "qty": "twelve"})
    with pytest.raises(Invalid) as err:
        meta.update_field(ctx, name, "qty", {"type": "integer"})
    assert err.value.code == "FIELD_TYPE_CHANGE_WOULD_LOSE_DATA"
    assert bad["id"] in err.value.errors[0].message
    records.update(ctx, name, bad["id"], {"qty": "7"}, version=bad["version"])
    meta.update_field(ctx, name, "qty", {"type": "integer"})
    assert records.get(ctx, name, good["id"])["qty"] == 12


def test_config_export_import_round_trip_is_a_no_op(ctx: Context, unique: str) -> None:
    name = f"thing_{unique}"
    meta.create_object(ctx, _obj(name))
    exported = meta.export_config(ctx, [name])
    assert meta.import_config(ctx, exported, dry_run=True) == []


def test_built_in_objects_cannot_be_deleted(ctx: Context) -> None:
    with pytest.raises(Conflict):
        meta.archive_object(ctx, "customer")


def test_three_hundred_field_object(ctx: Context, unique: str) -> None:
    name = f"wide_{unique}"
    fields = [
        {
            "name": f"f{i}",
            "type": ["text", "integer", "decimal", "date"][i % 4],
            "label": {"en": f"F{i}", "zh": f"字段{i}"},
        }
        for i in range(300)
    ]
    meta.create_object(ctx, _obj(name, *fields))
    rec = records.create(ctx, name, {"name": "w", "f0": "x", "f1": 1, "f299": "2026-01-01"})
    assert records.get(ctx, name, rec["id"])["f1"] == 1

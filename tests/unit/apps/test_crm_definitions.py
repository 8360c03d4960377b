"""The built-in CRM object definitions: they load through the metadata engine's own converter
and checks, and they are complete and consistent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from accord.apps.crm import catalog
from accord.apps.crm.loader import (
    AppDefinitionError,
    app_problems,
    load_app_definitions,
    load_app_manifest,
)
from accord.meta.checks import check_object
from accord.meta.model import ObjectDef
from accord.meta.serialize import object_from_dict, object_to_dict

OBJECTS_DIR = Path(catalog.__file__).parent / "objects"
EXPECTED = {
    "lead", "customer", "contact", "opportunity", "activity", "task", "product", "price_book",
    "price_book_entry", "quote", "quote_line", "contract", "order", "order_line", "payment_plan",
    "payment", "invoice", "ticket", "campaign", "campaign_member",
}  # fmt: skip
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
TEXT_LIKE = {"text", "long_text", "rich_text", "email", "phone", "url", "auto_number"}


@pytest.fixture(scope="module")
def objects() -> list[ObjectDef]:
    return load_app_definitions()


@pytest.fixture(scope="module")
def by_name(objects: list[ObjectDef]) -> dict[str, ObjectDef]:
    return {o.name: o for o in objects}


def all_fields(objects: list[ObjectDef]):
    for obj in objects:
        for f in obj.fields:
            yield obj, f


def test_every_yaml_file_loads_and_is_listed(objects: list[ObjectDef]) -> None:
    files = {p.stem for p in OBJECTS_DIR.glob("*.yaml")}
    assert files == EXPECTED
    assert [o.name for o in objects] == load_app_manifest()["objects"]
    for path in OBJECTS_DIR.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["name"] == path.stem
    assert all(o.system and all(f.system for f in o.fields) for o in objects)


def test_positions_follow_file_order(objects: list[ObjectDef]) -> None:
    for obj in objects:
        assert [f.position for f in obj.fields] == list(range(len(obj.fields)))


def test_field_types_are_known(objects: list[ObjectDef]) -> None:
    for obj, f in all_fields(objects):
        assert f.type in catalog.FIELD_TYPES, f"{obj.name}.{f.name}: {f.type}"


def test_no_field_shadows_a_system_column(objects: list[ObjectDef]) -> None:
    # System column names themselves are refused by check_object (meta.E003).
    for obj, f in all_fields(objects):
        assert f.name not in {"owner", "created", "updated"}, f"{obj.name}.{f.name}"


def _bilingual(label: object) -> bool:
    return (
        isinstance(label, dict)
        and isinstance(label.get("en"), str)
        and isinstance(label.get("zh"), str)
        and label["en"].strip() != ""
        and label["zh"].strip() != ""
    )


def test_descriptions_help_and_choices_are_bilingual(objects: list[ObjectDef]) -> None:
    # Labels and rule messages need en and zh for check_object (meta.E002); descriptions, help
    # texts and choice labels need them by this app's convention.
    for obj in objects:
        assert _bilingual(obj.description), obj.name
        for f in obj.fields:
            where = f"{obj.name}.{f.name}"
            assert f.help is None or _bilingual(f.help), where
            for choice in f.options.get("choices", ()):
                assert _bilingual(choice.get("label")), f"{where}={choice.get('value')}"


def test_choices_are_snake_case_and_statuses_coloured(objects: list[ObjectDef]) -> None:
    for obj, f in all_fields(objects):
        choices = f.options.get("choices", ())
        for v in (c["value"] for c in choices):
            assert isinstance(v, str) and SNAKE.match(v), f"{obj.name}.{f.name}={v!r}"
        if f.name in ("status", "stage"):
            assert all(str(c.get("color", "")).startswith("#") for c in choices), f.name


def test_flags_suit_the_types(objects: list[ObjectDef]) -> None:
    for obj, f in all_fields(objects):
        where = f"{obj.name}.{f.name}"
        if f.searchable:
            assert f.type in TEXT_LIKE, where
        if f.type in ("formula", "rollup", "auto_number"):
            assert not f.required and f.default is None, where
        if f.type in ("text",) and f.options.get("max_length") is not None:
            assert isinstance(f.options["max_length"], int)
        if f.type == "phone":
            assert f.options.get("region") == "CN", where
        if f.type == "currency":
            assert f.options.get("default_currency") == "CNY", where


def test_ownership(by_name: dict[str, ObjectDef]) -> None:
    for name in ("price_book_entry", "quote_line", "order_line", "campaign_member"):
        assert by_name[name].ownable is False
    for name in ("lead", "customer", "contact", "opportunity", "contract", "ticket", "task"):
        assert by_name[name].ownable is True


def test_auto_numbers(by_name: dict[str, ObjectDef]) -> None:
    expected = {
        ("lead", "lead_no"): ("XS-{YYYY}{MM}-{00000}", "monthly"),
        ("customer", "customer_no"): ("KH-{000000}", "never"),
        ("opportunity", "opp_no"): ("SJ-{YYYY}-{00000}", "yearly"),
        ("quote", "quote_no"): ("BJ-{YYYY}{MM}-{0000}", "monthly"),
        ("contract", "contract_no"): ("HT-{YYYY}-{000000}", "yearly"),
        ("order", "order_no"): ("DD-{YYYY}{MM}{DD}-{0000}", "monthly"),
        ("payment", "payment_no"): ("HK-{YYYY}-{000000}", "yearly"),
        ("ticket", "ticket_no"): ("GD-{YYYY}{MM}{DD}-{0000}", "monthly"),
    }
    for (obj, name), (fmt, reset) in expected.items():
        f = by_name[obj].field(name)
        assert f is not None and f.type == "auto_number"
        assert (f.options["format"], f.options["reset"]) == (fmt, reset)


def test_opportunity_stages_and_rules(by_name: dict[str, ObjectDef]) -> None:
    assert catalog.stage_probabilities() == {
        "initial_contact": 10,
        "needs_analysis": 20,
        "proposal": 40,
        "negotiation": 60,
        "contract_review": 80,
        "won": 100,
        "lost": 0,
        "on_hold": 0,
    }
    assert catalog.won_stages() == {"won"}
    assert catalog.closed_stages() == {"won", "lost"}
    opp = by_name["opportunity"]
    rules = {r.name: r for r in opp.validation_rules}
    assert "ISBLANK(lost_reason)" in rules["lost_reason_required"].condition
    assert "close_date < DATE(created_at)" in rules["close_date_after_created"].condition
    expected = opp.field("expected_revenue")
    assert expected is not None and expected.options["expression"] == "amount * probability / 100"
    for obj, name in (("contact", "customer"), ("opportunity", "customer"), ("quote", "customer")):
        f = by_name[obj].field(name)
        assert f is not None and f.required
    assert by_name["contract"].field("amount").required  # type: ignore[union-attr]


def test_customer_credit_code_regex(by_name: dict[str, ObjectDef]) -> None:
    f = by_name["customer"].field("unified_social_credit_code")
    assert f is not None and f.unique
    pattern = re.compile(f.validation["regex"])
    assert pattern.match("91310000MA1FL4B24G")
    assert not pattern.match("91310000MA1FL4B24")  # 17 characters
    assert not pattern.match("91310000MA1FL4B24I")  # I is not used


def test_dependent_picklist(by_name: dict[str, ObjectDef]) -> None:
    category = by_name["product"].field("category")
    assert category is not None
    dep = category.options["depends_on"]
    assert dep["field"] == "product_line"
    assert set(dep["map"]) == set(catalog.choice_values("product", "product_line"))


def test_shared_picklists_agree(by_name: dict[str, ObjectDef]) -> None:
    for field in ("industry", "region", "source"):
        assert catalog.choices("lead", field) == catalog.choices("customer", field), field
    assert catalog.choice_values("opportunity", "source") == catalog.choice_values("lead", "source")
    for obj in ("lead", "opportunity", "product"):
        assert catalog.choice_values(obj, "product_line") == [
            "software",
            "hardware",
            "services",
            "solution",
        ]


# --- through the metadata engine's converter and checks ---------------------------------------


def test_every_object_passes_check_object(objects: list[ObjectDef]) -> None:
    """The heart of it: the engine's own checks (the ones an administrator's custom object
    goes through) find nothing wrong with any built-in object."""
    by_name = {o.name: o for o in objects}
    assert {o.name: check_object(o, by_name) for o in objects} == {o.name: [] for o in objects}


def test_the_app_level_checks_find_nothing(objects: list[ObjectDef]) -> None:
    assert app_problems(objects) == []


def test_the_checks_have_something_to_check(objects: list[ObjectDef]) -> None:
    types = [f.type for _, f in all_fields(objects)]
    assert types.count("rollup") >= 12 and types.count("formula") >= 6
    filtered = [f for _, f in all_fields(objects) if f.type == "rollup" and f.options.get("filter")]
    assert len(filtered) >= 3
    assert sum(len(o.validation_rules) for o in objects) >= 5


def test_round_trip(objects: list[ObjectDef]) -> None:
    for obj in objects:
        data = object_to_dict(obj)
        assert object_from_dict(data, system=True) == obj
        dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        assert object_from_dict(yaml.safe_load(dumped), system=True) == obj


# --- the loader's errors name the place -------------------------------------------------------

NAME_FIELD = {"name": "name", "type": "text", "label": {"en": "Name", "zh": "名称"}}


def _obj(name: str = "thing", *fields: dict, **changes: object) -> dict:
    label = {"en": name.title(), "zh": name}
    return {
        "name": name,
        "label": label,
        "plural_label": label,
        "fields": [NAME_FIELD, *fields],
        **changes,
    }


def _field(name: str, ftype: str, **changes: object) -> dict:
    return {"name": name, "type": ftype, "label": {"en": name, "zh": name}, **changes}


def _fake_app(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    objects: dict[str, object],
    order: list[str] | None = None,
) -> str:
    """A package holding ``app.yaml`` (objects listed in ``order``) and one file per object
    (a dict is dumped as YAML, text written as is)."""
    package = f"fake_crm_app_{re.sub(r'[^a-z0-9_]', '_', tmp_path.name.lower())}"
    pkg = tmp_path / package
    (pkg / "objects").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    manifest = {"name": "fake", "objects": order or list(objects)}
    (pkg / "app.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    for name, content in objects.items():
        text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
        (pkg / "objects" / f"{name}.yaml").write_text(text, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return package


def _load_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *objects: dict) -> str:
    pkg = _fake_app(tmp_path, monkeypatch, {o["name"]: o for o in objects})
    with pytest.raises(AppDefinitionError) as err:
        load_app_definitions(pkg)
    assert isinstance(err.value, ValueError)
    return str(err.value)


def test_a_minimal_app_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = _fake_app(tmp_path, monkeypatch, {"thing": _obj()})
    [thing] = load_app_definitions(pkg)
    assert thing.name == "thing" and thing.system and thing.fields[0].system


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (_obj("thing", _field("flag", "boolean", required="yes")), "fields[1].required:"),
        (_obj("thing", _field("flag", "boolean", colour="red")), "fields[1].colour:"),
        (_obj("thing", _field("flag", "boolean", label=[1])), "fields[1].label:"),
        (_obj("thing", fields={"name": NAME_FIELD}), "fields:"),
        (_obj("thing", validation_rules=[{"name": "r"}]), "validation_rules[0]:"),
    ],
)
def test_malformed_files_name_the_file_and_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: dict, where: str
) -> None:
    message = _load_error(tmp_path, monkeypatch, data)
    assert "/objects/thing.yaml: The object definition is malformed." in message
    assert where in message


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (_obj("thing", _field("owner_id", "text")), "meta.E003 thing.owner_id:"),
        (_obj("thing", NAME_FIELD), "meta.E004 thing.name:"),
        (_obj("thing", _field("ref", "lookup", options={"target": "missing"})), "meta.E140"),
        (_obj("thing", title_field="nope"), "meta.E006 thing:"),
        (_obj("thing", _field("code", "text", validation={"pattern": "x"})), "meta.E010"),
        (
            _obj("thing", _field("total", "formula", options={"expression": "nope * 2"})),
            "meta.E009 thing.total: expression names unknown fields ['nope']",
        ),
        (
            _obj("thing", validation_rules=[{"name": "r", "condition": "name = ", "message": "m"}]),
            "meta.E009 thing: expression",
        ),
    ],
)
def test_check_object_problems_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: dict, problem: str
) -> None:
    message = _load_error(tmp_path, monkeypatch, data)
    assert "problem(s) in the definitions" in message
    assert problem in message


def test_every_problem_is_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    thing = _obj(
        "thing",
        _field("ref", "lookup", options={"target": "missing"}),
        _field("stage", "select", options={"choices": []}),
    )
    pkg = _fake_app(tmp_path, monkeypatch, {"thing": thing})
    with pytest.raises(AppDefinitionError) as err:
        load_app_definitions(pkg)
    assert [p.split(":")[0] for p in err.value.problems] == [
        "meta.E140 thing.ref",
        "meta.E130 thing.stage",
    ]


def test_targets_come_first_except_the_object_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    thing = _obj(
        "thing",
        _field("other", "lookup", options={"target": "other"}),
        _field("parent", "lookup", options={"target": "thing"}),
    )
    objects = {"thing": thing, "other": _obj("other")}
    pkg = _fake_app(tmp_path, monkeypatch, objects, order=["thing", "other"])
    with pytest.raises(AppDefinitionError) as err:
        load_app_definitions(pkg)
    assert err.value.problems == ["app.E001 thing.other: target 'other' is listed after 'thing'"]
    (tmp_path / pkg / "app.yaml").write_text("objects: [other, thing]\n", encoding="utf-8")
    assert [o.name for o in load_app_definitions(pkg)] == ["other", "thing"]


def test_rollup_filters_are_parsed_against_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check_object only sees that a rollup filter is a mapping; the loader parses it as the
    record service will."""
    rollup = {"child_object": "thing", "relation_field": "other", "aggregate": "count"}
    other = _obj(
        "other",
        _field(
            "won",
            "rollup",
            options={**rollup, "filter": {"field": "stage", "op": "eq", "value": "x"}},
        ),
    )
    thing = _obj("thing", _field("other", "lookup", options={"target": "other"}))
    pkg = _fake_app(tmp_path, monkeypatch, {"other": other, "thing": thing})
    with pytest.raises(AppDefinitionError) as err:
        load_app_definitions(pkg)
    [problem] = err.value.problems
    assert problem == "app.E002 other.won: options.filter.field: thing.stage is not a field"
    ok = {"field": "name", "op": "eq", "value": "x"}
    other["fields"][1]["options"]["filter"] = ok
    (tmp_path / pkg / "objects" / "other.yaml").write_text(yaml.safe_dump(other), encoding="utf-8")
    assert len(load_app_definitions(pkg)) == 2


def test_loader_reports_bad_yaml_with_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = _fake_app(tmp_path, monkeypatch, {"thing": "name: thing\nlabel: [unclosed\n"})
    with pytest.raises(AppDefinitionError, match=r"thing\.yaml: not valid YAML"):
        load_app_definitions(pkg)


def test_loader_checks_file_names_and_the_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = _fake_app(tmp_path, monkeypatch, {"thing": _obj("other")})
    with pytest.raises(AppDefinitionError, match=r"declares object 'other'.*says 'thing'"):
        load_app_definitions(pkg)
    objects = tmp_path / pkg / "objects"
    (objects / "thing.yaml").write_text(yaml.safe_dump(_obj()), encoding="utf-8")
    (objects / "other.yaml").write_text(yaml.safe_dump(_obj("other")), encoding="utf-8")
    with pytest.raises(AppDefinitionError, match=r"not listed in app\.yaml: \['other'\]"):
        load_app_definitions(pkg)
    (tmp_path / pkg / "app.yaml").write_text("objects: [thing, other, thing]\n", encoding="utf-8")
    with pytest.raises(AppDefinitionError, match=r"listed twice: \['thing'\]"):
        load_app_definitions(pkg)

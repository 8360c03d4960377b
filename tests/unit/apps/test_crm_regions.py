"""China's administrative divisions used for demo data and address normalisation."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from accord.apps.crm import catalog, regions
from accord.apps.crm.regions import PROVINCES, REGION_LABELS


def test_all_34_provincial_level_divisions() -> None:
    assert len(PROVINCES) == 34
    assert len({p.code for p in PROVINCES}) == 34
    assert len({p.name for p in PROVINCES}) == 34
    assert len({p.short for p in PROVINCES}) == 34
    assert len({p.abbr for p in PROVINCES}) == 34
    kinds = [p.kind for p in PROVINCES]
    assert kinds.count(regions.MUNICIPALITY) == 4
    assert kinds.count(regions.AUTONOMOUS_REGION) == 5
    assert kinds.count(regions.SAR) == 2
    assert kinds.count(regions.PROVINCE) == 23
    for p in PROVINCES:
        assert p.region in REGION_LABELS
        assert p.name.startswith(p.short)


def test_regions_match_the_select_values() -> None:
    assert list(REGION_LABELS) == catalog.choice_values("customer", "region")
    for value, label in REGION_LABELS.items():
        assert catalog.choice(("customer"), "region", value)["label"] == label


def test_cities_and_districts() -> None:
    with_cities = [p for p in PROVINCES if len(p.cities) >= 2]
    assert len(with_cities) >= 15
    for p, c in regions.cities():
        assert 2 <= len(c.districts) <= 5, c.name
        assert len(set(c.districts)) == len(c.districts)
        if p.kind == regions.MUNICIPALITY:
            assert c.name == p.name
        if p.code != "81":
            assert c.area_code and c.area_code.startswith("0")
            assert c.postcode and len(c.postcode) == 6


@pytest.mark.parametrize(
    ("province", "city", "district", "area_code"),
    [
        ("上海市", "上海市", "浦东新区", "021"),
        ("北京市", "北京市", "海淀区", "010"),
        ("广东省", "深圳市", "南山区", "0755"),
        ("广东省", "广州市", "天河区", "020"),
        ("浙江省", "杭州市", "西湖区", "0571"),
        ("江苏省", "苏州市", "姑苏区", "0512"),
        ("四川省", "成都市", "武侯区", "028"),
        ("湖北省", "武汉市", "武昌区", "027"),
    ],
)
def test_known_places(province: str, city: str, district: str, area_code: str) -> None:
    c = regions.city(province, city)
    assert c is not None and district in c.districts and c.area_code == area_code
    assert regions.is_known_address(province, city, district)


def test_landlines_of_every_city_are_valid_numbers() -> None:
    rng = random.Random(1)
    for _, c in regions.cities():
        if c.area_code is None:
            continue
        for _ in range(20):
            rest = c.landline_digits - 1
            local = f"{rng.randint(2, 7)}{rng.randint(0, 10**rest - 1):0{rest}d}"
            number = phonenumbers.parse(f"{c.area_code}{local}", "CN")
            assert phonenumbers.is_valid_number(number), (c.name, local)


@pytest.mark.parametrize(
    ("text", "full"),
    [
        ("粤", "广东省"),
        ("广东", "广东省"),
        ("广东省", "广东省"),
        ("Guangdong", "广东省"),
        ("guangdong", "广东省"),
        ("上海", "上海市"),
        ("内蒙古", "内蒙古自治区"),
        ("Tibet", "西藏自治区"),
        ("香港", "香港特别行政区"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_normalise_province(text: str, full: str | None) -> None:
    assert regions.normalise_province(text) == full


def test_region_of() -> None:
    assert regions.region_of("浙江省") == "east_china"
    assert regions.region_of("深圳") is None  # a city, not a province
    assert regions.region_of("广东") == "south_china"
    assert regions.region_of("新疆") == "northwest"
    assert regions.region_of("黑龙江省") == "northeast"
    assert regions.city("广东", "深圳") is not None
    assert not regions.is_known_address("广东省", "深圳市", "浦东新区")

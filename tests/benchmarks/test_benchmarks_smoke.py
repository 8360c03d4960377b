"""The benchmark scripts work: each benchmark's core at a tiny size on SQLite (numbers are not
judged here, only that every line is well-formed and the cross-checks hold)."""

from __future__ import annotations

import json

import pytest

from benchmarks import api_get, list_query, memory, run, scope_list
from benchmarks.common import Options, Session

pytestmark = pytest.mark.slow

KEYS = {"name", "value", "unit", "baseline", "ratio", "goal", "passed"}
TINY = ["--db", "sqlite", "--rows", "2000", "--requests", "8", "--seconds", "1"]


def _lines(out: str) -> list[dict]:
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    for d in lines:
        assert set(d) >= KEYS, d
    return lines


def test_bulk_insert_through_the_runner(capsys: pytest.CaptureFixture[str]) -> None:
    assert run.main(["--only", "bulk_insert", *TINY]) == 0
    [line] = _lines(capsys.readouterr().out)
    assert line["name"] == "bulk_insert.sqlite"
    assert "error" not in line, line
    assert line["value"] > 0 and line["baseline"] > 0
    assert line["passed"] in (True, False)
    assert line["same_stored_values"] is True  # both paths stored identical field values


def test_server_benchmarks_on_one_dataset(monkeypatch: pytest.MonkeyPatch) -> None:
    opts = Options(dbs=("sqlite",), rows=2000, seconds=1, requests=8)
    with Session(opts) as session:
        lq = [r.as_dict() for r in list_query.run(opts, session)]
        assert [d["name"] for d in lq] == ["list_query.page1.sqlite", "list_query.deep.sqlite"]
        for d in lq:
            assert "error" not in d, d
            assert d["same_page_as_offset"] is True
            assert d["goal_op"] == "<=" and d["ratio"] > 0
        assert lq[1]["page"] > 1

        if api_get.wrk_path() is None:
            [d] = [r.as_dict() for r in api_get.run(opts, session)]
            assert d["passed"] is None and "wrk" in d["error"]
        else:
            [d] = [r.as_dict() for r in api_get.run(opts, session)]
            assert "error" not in d, d
            assert d["value"] > 0 and d["baseline"] > 0
            # without wrk the benchmark says so instead of crashing
            monkeypatch.setattr(api_get, "wrk_path", lambda: None)
            [missing] = [r.as_dict() for r in api_get.run(opts, session)]
            assert missing["passed"] is None and "wrk" in missing["error"]

        sl = [r.as_dict() for r in scope_list.run(opts, session)]
        assert sl and sl[0]["name"] == "scope_list.page1.sqlite"
        for d in sl:
            assert "error" not in d, d  # the scoped page equals the subtree's page
            assert d["owners_in_scope"] == 9 and d["ratio"] > 0

        [m] = [r.as_dict() for r in memory.run(opts, session)]
        assert "error" not in m, m
        assert 10 < m["value"] < 2000 and m["baseline"] > 0
        assert m["passed"] is (m["value"] < 300)

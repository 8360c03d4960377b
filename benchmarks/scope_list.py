"""A list page under a data scope vs. the same page for an administrator.

Data: the shared dataset (1,000,000 ``bench_contact`` rows, ``--quick`` 100,000) owned by 500
users who form a reporting tree (``common.manager_index``: a chief, 7 directors, 56 managers, 436
reps). The viewer is a first-line manager holding a role whose read scope on ``bench_contact`` is
``subordinates`` (本人及下属): their own rows and their reps' (about 1.6 % of the rows).

Product: ``GET /api/v1/records/bench_contact?sort=-created_at&limit=50`` as the manager, page 1
and page 20 (following ``next_cursor``). Baseline: the same request as the administrator (no
scope), same server, requests alternating one by one. Value and baseline are median latencies
in ms; ratio = manager / administrator, goal ≤ 1.5. The manager's page is checked against raw
SQL over the manager's subtree.

    python -m benchmarks.scope_list [--quick] [--db sqlite|postgresql|both]
"""

from __future__ import annotations

import json
import time
from typing import Any

from benchmarks.common import (
    CONTACT,
    OWNERS,
    Dataset,
    Options,
    Result,
    Session,
    each_db,
    failed,
    main_for,
    measured,
    median_ms,
    subordinates_of,
    system_ctx,
)
from benchmarks.list_query import Client, RawDB

GOAL = 1.5
PAGE = 50
DEEP = 20
REQUESTS = 200
WARMUP = 20
VIEWER = 8  # the first manager (reports to director 1)


def _viewer(ds: Dataset) -> tuple[str, set[str]]:
    """A token for the manager (given the scoped role), and the owners in their scope."""
    from accord.auth import roles
    from accord.auth.service import create_token
    from accord.db.engine import unit_of_work

    with unit_of_work(ds.runtime.engine) as conn:
        ctx = system_ctx(ds.runtime, conn)
        name = "bench_team"
        if not any(r["name"] == name for r in roles.list_roles(ctx)):
            grant = {"read": True, "update": True, "read_scope": "subordinates",
                     "write_scope": "subordinates"}  # fmt: skip
            roles.create_role(
                ctx,
                {"name": name, "label": {"en": "Team", "zh": "团队"}, "grants": {CONTACT: grant}},
            )
        roles.set_user_roles(ctx, ds.owners[VIEWER], [name])
        token = create_token(ctx, f"owner{VIEWER:03d}", "scope bench")
    scope = {ds.owners[i] for i in {VIEWER, *subordinates_of(VIEWER, OWNERS)}}
    return token, scope


def _page(client: Client, path: str) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    status, body = client.get(path)
    elapsed = time.perf_counter() - t0
    if status != 200:
        raise RuntimeError(f"API answered {status}: {body[:300]!r}")
    return elapsed, json.loads(body)


def _cursor_at(client: Client, base: str, page: int) -> str | None:
    cursor = None
    for _ in range(page - 1):
        _, body = _page(client, base + (f"&cursor={cursor}" if cursor else ""))
        cursor = body["next_cursor"]
    return cursor


def _count(ds: Dataset, scope: set[str]) -> int:
    raw = RawDB(ds)
    try:
        marks = ", ".join("?" for _ in scope)
        _, rows = raw.query(
            f'SELECT count(*) FROM "{ds.table}" WHERE owner_id IN ({marks})', tuple(sorted(scope))
        )
        return int(rows[0][0])
    finally:
        raw.close()


def _expected_ids(ds: Dataset, scope: set[str], page: int) -> list[str]:
    raw = RawDB(ds)
    try:
        marks = ", ".join("?" for _ in scope)
        _, rows = raw.query(
            f'SELECT id FROM "{ds.table}" WHERE owner_id IN ({marks}) AND deleted_at IS NULL '
            f"ORDER BY created_at DESC, id DESC LIMIT {PAGE} OFFSET {(page - 1) * PAGE}",
            tuple(sorted(scope)),
        )
        return [str(r[0]) for r in rows]
    finally:
        raw.close()


def bench_db(opts: Options, session: Session, kind: str) -> list[Result]:
    ds = session.dataset(kind)
    server = session.server(kind)
    token, scope = _viewer(ds)
    n = opts.requests or REQUESTS
    base = f"/api/v1/records/{CONTACT}?sort=-created_at&limit={PAGE}"
    manager = Client(server.base, {"Authorization": f"Bearer {token}"})
    admin = Client(server.base, {"Authorization": f"Bearer {ds.token}"})
    out: list[Result] = []
    try:
        in_scope = _count(ds, scope)
        deep = min(DEEP, -(-in_scope // PAGE))  # page 20, or the last page of a small dataset
        for label, page in (("page1", 1), ("deep", deep)) if deep > 1 else (("page1", 1),):
            paths = []
            for c in (manager, admin):
                cursor = _cursor_at(c, base, page)
                paths.append(base + (f"&cursor={cursor}" if cursor else ""))
            m_s: list[float] = []
            a_s: list[float] = []
            for k in range(n + WARMUP):
                m, body = _page(manager, paths[0])
                a, _ = _page(admin, paths[1])
                if k >= WARMUP:
                    m_s.append(m)
                    a_s.append(a)
            got = [r["id"] for r in body["data"]]
            name = f"scope_list.{label}.{kind}"
            if got != _expected_ids(ds, scope, page):
                out.append(failed(name, "ms", GOAL, "the scoped page is not the subtree's page",
                                  goal_op="<="))  # fmt: skip
                continue
            out.append(
                measured(
                    name, median_ms(m_s), median_ms(a_s), "ms", GOAL, "<=",
                    page=page, rows=ds.n, owners=OWNERS, owners_in_scope=len(scope),
                    rows_in_scope=in_scope,
                    requests=len(m_s),
                )
            )  # fmt: skip
    finally:
        manager.close()
        admin.close()
    return out


def run(opts: Options, session: Session) -> list[Result]:
    return each_db(opts, session, "scope_list", "ms", GOAL, "<=", bench_db, ("page1", "deep"))


if __name__ == "__main__":
    main_for(run, __doc__ or "")

"""UUIDv7 record ids (accord/core/ids.py)."""

from __future__ import annotations

import threading
import time
import uuid

from accord.core.ids import new_id, parse_id


def test_ids_are_canonical_uuid7_with_the_current_time() -> None:
    before = time.time_ns() // 1_000_000
    rid = new_id()
    after = time.time_ns() // 1_000_000
    u = uuid.UUID(rid)
    assert str(u) == rid and u.version == 7 and u.variant == uuid.RFC_4122
    # The counter may move the millisecond on, never back
    assert before <= int(rid.replace("-", "")[:12], 16) <= after + 1


def test_ids_strictly_increase_even_within_one_millisecond() -> None:
    ids = [new_id() for _ in range(50_000)]  # many per millisecond: the counter runs out
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_ids_from_many_threads_are_unique_and_random() -> None:
    out: list[list[str]] = [[] for _ in range(4)]

    def make(k: int) -> None:
        out[k] = [new_id() for _ in range(5_000)]

    threads = [threading.Thread(target=make, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    every = [i for ids in out for i in ids]
    assert len(set(every)) == len(every)
    assert all(ids == sorted(ids) for ids in out)
    tails = {i[-12:] for i in every}  # the random part does not repeat
    assert len(tails) == len(every)


def test_parse_id_accepts_uuids_and_refuses_the_rest() -> None:
    rid = new_id()
    assert parse_id(rid.upper()) == rid
    assert parse_id(uuid.UUID(rid)) == rid
    assert parse_id("not-an-id") is None and parse_id(7) is None and parse_id("a" * 65) is None

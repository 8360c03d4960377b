"""Login throttling in the database: reservations before the password is checked, windows,
lock expiry, address keys, and the lock shared across processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from accord.auth import throttle
from accord.core.clock import FixedClock
from accord.core.context import Context, Runtime
from accord.core.errors import RateLimited
from accord.db.engine import unit_of_work


@pytest.fixture
def step(fixed_runtime: Runtime) -> Iterator[Callable[..., Any]]:
    """``step(fn, *args)``: run ``fn(ctx, *args)`` in its own committed unit of work."""

    def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with unit_of_work(fixed_runtime.engine) as conn:
            return fn(Context(runtime=fixed_runtime, conn=conn), *args, **kwargs)

    yield run


def test_attempts_in_flight_fill_the_quota_before_any_failure_is_written(
    step: Callable[..., Any], unique: str
) -> None:
    login = f"parallel.{unique}"
    for _ in range(5):  # five sign-ins reserved, none finished yet
        step(throttle.reserve, login, None)
    with pytest.raises(RateLimited) as exc:
        step(throttle.reserve, login, None)
    assert exc.value.code == "LOGIN_THROTTLED" and exc.value.data["retry_after"] == 900


def test_a_window_starts_again_after_it_passes(
    step: Callable[..., Any], unique: str, fixed_clock: FixedClock
) -> None:
    login = f"slow.{unique}"
    for _ in range(4):
        step(throttle.reserve, login, None)
        step(throttle.failed, login, None)
    fixed_clock.advance(minutes=15)
    for _ in range(4):  # a new window: four more do not lock
        step(throttle.reserve, login, None)
        step(throttle.failed, login, None)
    assert step(throttle.remaining_lock, login, None) is None
    step(throttle.reserve, login, None)
    step(throttle.failed, login, None)
    assert step(throttle.remaining_lock, login, None) == 900


def test_a_short_lockout_ends_even_inside_a_long_window(
    fixed_runtime: Runtime, unique: str, fixed_clock: FixedClock
) -> None:
    rt = type(fixed_runtime)(
        settings=fixed_runtime.settings.model_copy(
            update={"login_lockout_seconds": 60, "login_failure_window_seconds": 3600}
        ),
        engine=fixed_runtime.engine,
        clock=fixed_clock,
    )
    login = f"short.{unique}"

    def run(fn: Callable[..., Any], *args: Any) -> Any:
        with unit_of_work(rt.engine) as conn:
            return fn(Context(runtime=rt, conn=conn), *args)

    for _ in range(5):
        run(throttle.reserve, login, None)
        run(throttle.failed, login, None)
    with pytest.raises(RateLimited):
        run(throttle.reserve, login, None)
    fixed_clock.advance(seconds=61)
    run(throttle.reserve, login, None)  # the lock is over and the count starts again


def test_ipv6_addresses_count_by_their_64_network() -> None:
    assert throttle.ip_key("2001:db8:1:2:aaaa::1") == throttle.ip_key("2001:db8:1:2:bbbb::9")
    assert throttle.ip_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert throttle.ip_key("2001:db8:1:3::1") != throttle.ip_key("2001:db8:1:2::1")
    assert throttle.ip_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert throttle.ip_key("192.0.2.1") == "192.0.2.1"
    assert throttle.ip_key("testclient") == "testclient"
    assert throttle.ip_key(None) is None
    assert throttle.account_key("  Li.Na ") == "li.na"


def test_the_lock_is_seen_by_another_process(
    fixed_runtime: Runtime, step: Callable[..., Any], unique: str
) -> None:
    from accord.db.engine import make_engine

    login = f"shared.{unique}"
    for _ in range(5):
        step(throttle.reserve, login, None)
        step(throttle.failed, login, None)
    url = fixed_runtime.engine.url.render_as_string(hide_password=False)
    other = type(fixed_runtime)(
        settings=fixed_runtime.settings, engine=make_engine(url), clock=fixed_runtime.clock
    )
    try:
        with unit_of_work(other.engine) as conn, pytest.raises(RateLimited):
            throttle.reserve(Context(runtime=other, conn=conn), login, None)
    finally:
        other.engine.dispose()

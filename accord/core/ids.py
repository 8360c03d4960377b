"""Record ids: UUIDv7, time-ordered so primary-key order is insertion order (keyset pagination).

Generated here rather than by a library because bulk imports create hundreds of thousands per
second and ``uuid6.uuid7`` (a ``UUID`` object and a ``secrets`` call per id) was a tenth of a
bulk insert's time. Layout (RFC 9562 §5.7, monotonicity by method 1, §6.2): 48-bit Unix time in
milliseconds, version 7, a 12-bit counter that starts at a random value below 2048 each
millisecond and counts up within it, variant, 62 random bits from ``os.urandom``. Ids made by
one process are strictly increasing; when the counter runs out the millisecond moves on.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0
_random = threading.local()  # per-thread random hex digits, refilled 4 KiB of entropy at a time
_BUFFER = 4096
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}  # 0b10 + 2 random bits


def _random_hex(n: int) -> str:
    buf: str = getattr(_random, "hex", "")
    pos: int = getattr(_random, "pos", 0)
    if pos + n > len(buf):
        buf, pos = os.urandom(_BUFFER).hex(), 0
        _random.hex = buf
    _random.pos = pos + n
    return buf[pos : pos + n]


def new_id() -> str:
    """A new UUIDv7 as its canonical 36-character lower-case string."""
    global _last_ms, _counter
    r = _random_hex(19)  # 16 digits for the variant and rand_b, 3 for the counter's start
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms, _counter = ms, int(r[16:], 16) & 0x7FF  # 11 bits: room to count up
        else:
            _counter += 1
            if _counter > 0xFFF:
                _last_ms, _counter = _last_ms + 1, int(r[16:], 16) & 0x7FF
        ms, counter = _last_ms, _counter
    ts = f"{ms & 0xFFFF_FFFF_FFFF:012x}"
    return f"{ts[:8]}-{ts[8:]}-{0x7000 | counter:04x}-{_VARIANT[r[0]]}{r[1:4]}-{r[4:16]}"


_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def parse_id(value: object) -> str | None:
    """The canonical form of ``value`` if it is a UUID, else None."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str) or len(value) > 64:
        return None
    if len(value) == 36 and _CANONICAL.fullmatch(value):
        return value  # already canonical: the common case, without building a UUID
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None

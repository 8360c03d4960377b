"""Which notification kinds reach a user on which channel: the kind's default unless the user
chose otherwise (a row in ``notification_preferences``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, insert, select

from accord.core.context import Context
from accord.core.errors import FieldError, Invalid
from accord.notifications.kinds import CHANNELS, Kind, all_kinds, get_kind
from accord.notifications.tables import notification_preferences as prefs


def channels_for(ctx: Context, user_ids: Iterable[str], kind: Kind) -> dict[str, set[str]]:
    """For each user, the channels ``kind`` reaches them on (one query for all users)."""
    ids = list(dict.fromkeys(user_ids))
    chosen: dict[tuple[str, str], bool] = {}
    if ids:
        rows = ctx.conn.execute(
            select(prefs.c.user_id, prefs.c.channel, prefs.c.enabled).where(
                prefs.c.user_id.in_(ids), prefs.c.kind == kind.name
            )
        )
        chosen = {(str(r.user_id), r.channel): bool(r.enabled) for r in rows}
    return {uid: {ch for ch in CHANNELS if chosen.get((uid, ch), kind.default(ch))} for uid in ids}


def get_preferences(ctx: Context) -> list[dict[str, Any]]:
    """The acting user's matrix: every kind with each channel on or off (and the default)."""
    rows = ctx.conn.execute(
        select(prefs.c.kind, prefs.c.channel, prefs.c.enabled).where(
            prefs.c.user_id == ctx.actor.id
        )
    )
    chosen = {(r.kind, r.channel): bool(r.enabled) for r in rows}
    return [
        {
            "kind": k.name,
            "label": dict(k.label),
            "channels": {ch: chosen.get((k.name, ch), k.default(ch)) for ch in CHANNELS},
            "defaults": {ch: k.default(ch) for ch in CHANNELS},
        }
        for k in all_kinds()
    ]


def _check(changes: Any) -> list[tuple[str, str, bool]]:
    if not isinstance(changes, Mapping):
        raise Invalid(
            "NOTIFICATION_PREFERENCES_INVALID",
            'Send {"<kind>": {"in_app": true, "email": false, "robot": false}, …}.',
        )
    errors: list[FieldError] = []
    out: list[tuple[str, str, bool]] = []
    for kind, channels in changes.items():
        if get_kind(kind) is None:
            errors.append(
                FieldError(
                    str(kind)[:100],
                    "NOTIFICATION_KIND_UNKNOWN",
                    f"No notification kind {str(kind)[:100]!r}.",
                )
            )
            continue
        if not isinstance(channels, Mapping):
            errors.append(
                FieldError(kind, "NOTIFICATION_PREFERENCES_INVALID", "Give channels: true/false.")
            )
            continue
        for ch, on in channels.items():
            where = f"{kind}.{str(ch)[:20]}"
            if ch not in CHANNELS:
                errors.append(
                    FieldError(
                        where,
                        "NOTIFICATION_CHANNEL_UNKNOWN",
                        f"Unknown channel; use one of {', '.join(CHANNELS)}.",
                    )
                )
            elif not isinstance(on, bool):
                errors.append(
                    FieldError(where, "NOTIFICATION_PREFERENCES_INVALID", "Must be true or false.")
                )
            else:
                out.append((kind, ch, on))
    if errors:
        raise Invalid("NOTIFICATION_PREFERENCES_INVALID", "Some preferences are not valid.", errors)
    return out


def set_preferences(ctx: Context, changes: Any) -> list[dict[str, Any]]:
    """Change some of the acting user's (kind, channel) choices; others keep theirs. A choice
    equal to the kind's default is stored too, so a later change of defaults does not flip it."""
    now = ctx.clock.now()
    for kind, channel, on in _check(changes):
        ctx.conn.execute(
            delete(prefs).where(
                prefs.c.user_id == ctx.actor.id, prefs.c.kind == kind, prefs.c.channel == channel
            )
        )
        ctx.conn.execute(
            insert(prefs).values(
                user_id=ctx.actor.id, kind=kind, channel=channel, enabled=on, updated_at=now
            )
        )
    return get_preferences(ctx)

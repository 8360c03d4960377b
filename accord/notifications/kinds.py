"""The registry of notification kinds and channels (one place lists them; style.md principle 3).

A **kind** names what a notification is about ("automation", "record.assigned" …) and which
channels it reaches by default. A user's preference for (kind, channel) overrides the default.

Defaults: the in-app inbox is on for every kind; email and the user's own robot are off until
the user turns them on (no mail or chat message anybody did not ask for). Department robots are
not a per-user choice: a rule or a service names the departments, an administrator configures
their channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

IN_APP: Final = "in_app"
EMAIL: Final = "email"
ROBOT: Final = "robot"
CHANNELS: Final = (IN_APP, EMAIL, ROBOT)


@dataclass(frozen=True)
class Kind:
    name: str
    label: dict[str, str]
    in_app: bool = True
    email: bool = False
    robot: bool = False

    def default(self, channel: str) -> bool:
        return bool(getattr(self, channel))


_KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> Kind:
    """Add a kind (a package declares its own at import time of its module). Registering the
    same name twice with a different definition is a programming error."""
    existing = _KINDS.get(kind.name)
    if existing is not None and existing != kind:
        raise ValueError(f"notification kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> Kind | None:
    return _KINDS.get(name)


def all_kinds() -> list[Kind]:
    return sorted(_KINDS.values(), key=lambda k: k.name)


for _kind in (
    Kind("automation", {"en": "Automation rules", "zh": "自动化规则"}),
    Kind("record.assigned", {"en": "Records assigned to me", "zh": "分配给我的记录"}),
    Kind("record.shared", {"en": "Records shared with me", "zh": "共享给我的记录"}),
    Kind("approval", {"en": "Approvals", "zh": "审批"}),
    Kind("sla", {"en": "Service level warnings", "zh": "服务时限预警"}),
    Kind("webhook.disabled", {"en": "Webhooks switched off", "zh": "Webhook 已停用"}),
    Kind("system", {"en": "System messages", "zh": "系统消息"}),
):
    register_kind(_kind)

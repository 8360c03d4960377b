"""Actions whose engines arrive with later modules: ``move_to_pool`` (sales: public pools) and
``start_approval`` (workflow: approval flows). They are declared here so rules can name them;
the owning package registers the working implementation with ``registry.register``, replacing
these placeholders, which refuse a rule that uses them at save time with a clear reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.automation.actions.base import (
    E_UNAVAILABLE,
    ActionContext,
    ActionType,
    CheckContext,
    problem,
)
from accord.core.errors import FieldError


class _NotInstalled(ActionType):
    needs: str

    def check(self, cc: CheckContext, spec: Mapping[str, Any], where: str) -> list[FieldError]:
        return [problem(where, E_UNAVAILABLE, f"{self.type} needs {self.needs}, not installed")]

    def run(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]:
        raise RuntimeError(f"{self.type} needs {self.needs}")

    preview = run


class MoveToPool(_NotInstalled):
    type = "move_to_pool"
    needs = "the public-pool engine (sales module)"


class StartApproval(_NotInstalled):
    type = "start_approval"
    needs = "the approval engine (workflow module)"

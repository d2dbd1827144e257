"""Database routing: the sandbox's models live on the `sandbox` alias, the rest on `default`."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

SANDBOX_APP = "sandbox"
SANDBOX_DB = "sandbox"


def _is_sandbox(model: type[Model] | Model) -> bool:
    return model._meta.app_label == SANDBOX_APP


class SandboxRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return SANDBOX_DB if _is_sandbox(model) else None

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return SANDBOX_DB if _is_sandbox(model) else None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        if _is_sandbox(obj1) or _is_sandbox(obj2):
            return _is_sandbox(obj1) and _is_sandbox(obj2)
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        if app_label == SANDBOX_APP:
            return db == SANDBOX_DB
        return db == "default"

"""The in-process transport and `partner_center()`: the sandbox reached without a network."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_finished, request_started
from django.db import connections, transaction
from django.urls import get_urlconf
from pytest_django import Settings

from portal.partnercenter import (
    WEB_THROTTLE_WAIT_CAP,
    WORKER_THROTTLE_WAIT_CAP,
    NotFound,
    RetryPolicy,
    Unavailable,
    partner_center,
)
from portal.partnercenter.transport import SANDBOX_API_ROOT
from portal.sandbox.models import FaultSettings
from tests.partnercenter.conftest import World

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def test_partner_center_in_sandbox_mode_calls_the_sandbox_in_process(world: World) -> None:
    pc = partner_center()

    customer = pc.customers.by_id(world.cid).get()

    assert pc.api_root == SANDBOX_API_ROOT
    assert pc.policy.throttle_wait_cap == WEB_THROTTLE_WAIT_CAP
    assert customer.company_name == "Contoso Ltd"


def test_a_worker_asks_for_a_longer_throttle_cap() -> None:
    assert partner_center(throttle_wait_cap=WORKER_THROTTLE_WAIT_CAP).policy.throttle_wait_cap == (
        WORKER_THROTTLE_WAIT_CAP
    )


def test_live_mode_without_a_sign_in_refuses_plainly(settings: Settings) -> None:
    settings.SANDBOX_ENABLED = False

    with pytest.raises(ImproperlyConfigured, match="PARTNER_CENTER_MODE=sandbox"):
        partner_center()


def test_in_process_calls_fire_no_request_signals(world: World) -> None:
    fired: list[str] = []

    def started(**kwargs: Any) -> None:
        fired.append("started")

    def finished(**kwargs: Any) -> None:
        fired.append("finished")

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        partner_center().customers.by_id(world.cid).users.list()
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)

    assert fired == []


def test_a_call_inside_a_portal_transaction_keeps_its_connection(world: World) -> None:
    with transaction.atomic():
        partner_center().customers.by_id(world.cid).users.list()

        assert connections["default"].in_atomic_block
        assert connections["default"].connection is not None


def test_the_callers_urlconf_is_kept(world: World) -> None:
    before = get_urlconf()

    partner_center().customers.list()

    assert get_urlconf() == before


def test_an_unknown_route_is_a_json_404() -> None:
    pc = partner_center()

    with pytest.raises(NotFound) as caught:
        pc.get("/no-such-thing")

    assert "/v1/no-such-thing" in str(caught.value)


def test_a_sandbox_crash_is_a_partner_center_error_not_an_exception_from_django(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(cls: type[FaultSettings]) -> FaultSettings:
        raise RuntimeError("boom")

    monkeypatch.setattr(FaultSettings, "current", classmethod(crash))
    pc = partner_center()
    pc.policy = RetryPolicy(sleep=lambda seconds: None)

    with pytest.raises(Unavailable) as caught:
        pc.customers.list()

    assert caught.value.status == 500

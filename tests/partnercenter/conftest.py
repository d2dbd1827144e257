"""Fixtures for the SDK's tests: a fake clock and sleep, and clients over mocked HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from portal.partnercenter import PartnerCenterClient, RetryPolicy

API_ROOT = "https://pc.test/v1"


@dataclass
class FakeTime:
    """A clock that moves only when slept on, or when a test moves it."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class RecordingTokens:
    """A token provider that hands out numbered tokens and records forced refreshes."""

    def __init__(self) -> None:
        self.calls: list[bool] = []

    def access_token(self, *, force_refresh: bool = False) -> str:
        self.calls.append(force_refresh)
        return f"token-{len(self.calls)}"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def tokens() -> RecordingTokens:
    return RecordingTokens()


def make_client(
    fake_time: FakeTime, tokens: RecordingTokens, *, throttle_wait_cap: float = 5.0
) -> PartnerCenterClient:
    return PartnerCenterClient(
        api_root=API_ROOT,
        token_provider=tokens,
        policy=RetryPolicy(
            throttle_wait_cap=throttle_wait_cap, sleep=fake_time.sleep, clock=fake_time.clock
        ),
        correlation_id="corr-1",
    )


@pytest.fixture
def client(fake_time: FakeTime, tokens: RecordingTokens) -> PartnerCenterClient:
    return make_client(fake_time, tokens)

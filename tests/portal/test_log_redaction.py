"""No password or token survives into a log record, whichever logger writes it."""

from __future__ import annotations

import logging

import pytest

from portal.log_redaction import MASK, redact

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBhcnQ"


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("password=Hunter2!x user=ann", "user=ann", "Hunter2!x"),
        ('{"password": "Hunter2!x", "displayName": "Ann"}', '"displayName": "Ann"', "Hunter2!x"),
        ("{'client_secret': 's3cr3t-value'}", "client_secret", "s3cr3t-value"),
        ("Authorization: Bearer abc.def-ghi_123", "Authorization", "abc.def-ghi_123"),
        (f"got {JWT} back", "got", JWT),
        ("refresh_token=0.AXYZabcdefghijklmnopqrstuvwxyz0123456789ABCDEF", "", "0.AXYZ"),
        ('passwordProfile={"password":"Esc\\"aped1!"}', "", "Esc"),
        ("temporaryPassword: Zq8#kLm2pR", "", "Zq8#kLm2pR"),
    ],
)
def test_secret_shaped_text_is_masked(text: str, kept: str, gone: str) -> None:
    cleaned = redact(text)
    assert gone not in cleaned
    assert kept in cleaned
    assert MASK in cleaned


def test_plain_text_is_left_alone() -> None:
    text = "GET /customers/abc/users -> 200 request_id=6e668bc0 token_count=none"
    assert (
        redact("created user ann@contoso.com in 2.3 ms") == "created user ann@contoso.com in 2.3 ms"
    )
    assert "request_id=6e668bc0" in redact(text)


def test_every_logger_is_redacted_including_third_party_ones(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ["portal.users", "django.request", "msal.application", "urllib3.connectionpool"]:
        logging.getLogger(name).warning("sending password=%s with %s", "Hunter2!x", JWT)
    assert "Hunter2!x" not in caplog.text
    assert JWT not in caplog.text
    assert caplog.text.count(MASK) == 8


def test_exception_text_is_redacted_too(caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise ValueError("refused: password=Hunter2!x")
    except ValueError:
        logging.getLogger("portal").exception("it failed")
    assert "Hunter2!x" not in caplog.text
    assert "refused: password=[redacted]" in caplog.text

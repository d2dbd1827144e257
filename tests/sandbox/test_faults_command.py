"""`manage.py sandbox_faults`: shows the fault settings and changes them, or changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from portal.sandbox.models import FaultSettings

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def run(*args: str) -> str:
    out = StringIO()
    call_command("sandbox_faults", *args, stdout=out)
    return out.getvalue()


def test_it_prints_every_setting_with_the_option_that_changes_it() -> None:
    output = run()
    for flag in (
        "--latency-ms",
        "--error-rate",
        "--lost-response-rate",
        "--throttle-rate",
        "--throttle-capacity",
        "--throttle-refill",
        "--retry-after",
        "--duplicate-status",
        "--next-link-v1",
        "--bom",
        "--seed",
    ):
        assert flag in output
    assert "409" in output
    assert "changed" not in output
    assert FaultSettings.objects.count() == 1


def test_it_sets_each_field_from_its_option() -> None:
    output = run(
        "--latency-ms", "250",
        "--error-rate", "0.1",
        "--lost-response-rate", "0.05",
        "--throttle-rate", "0.2",
        "--throttle-capacity", "30",
        "--throttle-refill", "2.5",
        "--retry-after", "7",
        "--duplicate-status", "400",
        "--next-link-v1", "false",
        "--bom", "FALSE",
        "--seed", "42",
    )  # fmt: skip
    faults = FaultSettings.current()
    assert (
        faults.latency_ms,
        faults.error_rate,
        faults.lost_response_rate,
        faults.throttle_rate,
        faults.throttle_capacity,
        faults.throttle_refill_per_second,
        faults.retry_after_seconds,
        faults.duplicate_status,
        faults.next_link_with_v1,
        faults.emit_bom,
        faults.random_seed,
    ) == (250, 0.1, 0.05, 0.2, 30, 2.5, 7, 400, False, False, 42)
    assert "changed" in output
    assert "250" in output


def test_it_leaves_fields_it_was_not_given_alone() -> None:
    run("--latency-ms", "100")
    run("--bom", "false")
    faults = FaultSettings.current()
    assert (faults.latency_ms, faults.emit_bom, faults.next_link_with_v1) == (100, False, True)


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--error-rate", "1.5"], "--error-rate"),
        (["--lost-response-rate", "-0.1"], "--lost-response-rate"),
        (["--throttle-rate", "lots"], "--throttle-rate"),
        (["--throttle-rate", "nan"], "--throttle-rate"),
        (["--latency-ms", "-5"], "--latency-ms"),
        (["--duplicate-status", "500"], "--duplicate-status"),
        (["--bom", "yes"], "--bom"),
        (["--throttle-refill", "-1"], "--throttle-refill"),
    ],
)
def test_it_rejects_a_bad_value_naming_the_option_and_changes_nothing(
    args: list[str], flag: str
) -> None:
    before = FaultSettings.current()
    with pytest.raises(CommandError, match=flag):
        # The valid --latency-ms given first must not be applied either.
        run("--latency-ms", "999", *args)
    after = FaultSettings.current()
    assert after.latency_ms == before.latency_ms == 0
    assert (after.error_rate, after.emit_bom, after.duplicate_status) == (0.0, True, 409)


def test_it_checks_values_passed_as_keyword_arguments_too() -> None:
    with pytest.raises(CommandError, match="--error-rate"):
        call_command("sandbox_faults", error_rate=2, stdout=StringIO())
    assert FaultSettings.current().error_rate == 0.0


def test_it_accepts_the_bounds_of_a_rate() -> None:
    run("--error-rate", "1", "--throttle-rate", "0")
    faults = FaultSettings.current()
    assert (faults.error_rate, faults.throttle_rate) == (1.0, 0.0)


def test_the_defaults_are_production_like_but_the_duplicate_status() -> None:
    faults = FaultSettings.current()
    assert (faults.next_link_with_v1, faults.emit_bom, faults.duplicate_status) == (True, True, 409)


def test_it_puts_everything_back_to_the_defaults_with_reset() -> None:
    run("--latency-ms", "500", "--error-rate", "0.5", "--duplicate-status", "400", "--seed", "7")
    run("--next-link-v1", "false", "--bom", "false")
    output = run("--reset")
    faults = FaultSettings.current()
    defaults = FaultSettings()
    for field in FaultSettings._meta.concrete_fields:
        if not field.primary_key:
            assert getattr(faults, field.attname) == getattr(defaults, field.attname), field.name
    assert FaultSettings.objects.count() == 1
    assert "changed" in output


def test_it_applies_options_given_with_reset_after_resetting() -> None:
    run("--latency-ms", "500", "--error-rate", "0.5")
    run("--reset", "--error-rate", "0.25")
    faults = FaultSettings.current()
    assert (faults.latency_ms, faults.error_rate) == (0, 0.25)


def test_it_clears_the_random_seed_with_none() -> None:
    run("--seed", "42")
    run("--seed", "none")
    assert FaultSettings.current().random_seed is None


def test_it_refuses_in_live_mode(settings: Settings) -> None:
    settings.SANDBOX_ENABLED = False
    with pytest.raises(CommandError, match="live mode"):
        run("--error-rate", "0.5")
    assert FaultSettings.current().error_rate == 0.0

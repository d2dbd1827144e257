"""When a change runs: now, or at a time chosen in a time zone (`Schedule`), checked before a job
is made (`users.bulk.schedule` starts it when the time comes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib.resources import files
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone

from users.bulk.models import BulkJob

# How far ahead a change may be scheduled.
HORIZON: Final = timedelta(days=366)
# The format commands take and pages show: "2026-12-14 08:00 Europe/Stockholm".
FORMAT: Final = "%Y-%m-%d %H:%M"


class ScheduleRefused(ValueError):
    """A time that cannot be used, with the reason in words."""


@dataclass(frozen=True)
class Schedule:
    """When to run: an aware time and the IANA zone it was chosen in."""

    run_at: datetime
    zone: str

    @classmethod
    def at(cls, local: datetime, zone: str) -> Schedule:
        """A wall-clock time in `zone` (naive), e.g. 08:00 in Europe/Stockholm."""
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleRefused(f"{zone!r} is not a time zone, e.g. Europe/Stockholm.") from None
        aware = local.replace(tzinfo=tz)
        # A time the clocks skip (02:30 on the night they go forward) does not exist there.
        if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
            raise ScheduleRefused(f"{local:{FORMAT}} does not exist in {zone} (the clocks change).")
        return cls(aware.astimezone(UTC), zone)

    @classmethod
    def parse(cls, text: str, *, default_zone: str | None = None) -> Schedule:
        """ "2026-12-14 08:00 Europe/Stockholm" (the zone defaults to the portal's)."""
        parts = text.split()
        if len(parts) not in (2, 3):
            raise ScheduleRefused(
                f"{text!r}: give a date, a time and a time zone, e.g. "
                "2026-12-14 08:00 Europe/Stockholm."
            )
        zone = parts[2] if len(parts) == 3 else (default_zone or settings.TIME_ZONE)
        try:
            local = datetime.strptime(f"{parts[0]} {parts[1]}", FORMAT)
        except ValueError:
            raise ScheduleRefused(
                f"{parts[0]} {parts[1]}: write the date and time as 2026-12-14 08:00."
            ) from None
        return cls.at(local, zone)

    @property
    def local(self) -> datetime:
        return self.run_at.astimezone(ZoneInfo(self.zone))

    def describe(self) -> str:
        """ "Mon 14 Dec 2026 08:00 Europe/Stockholm (07:00 UTC)", the portal's zone if not UTC."""
        text = f"{self.local:%a %d %b %Y %H:%M} {self.zone}"
        portal = timezone.get_default_timezone()
        if ZoneInfo(self.zone) != portal:
            text += f" ({self.run_at.astimezone(portal):%H:%M} {portal})"
        return text

    def check(self, *, now: datetime | None = None) -> Schedule:
        """Refuse a time in the past or more than a year ahead."""
        now = now or timezone.now()
        if self.run_at <= now:
            raise ScheduleRefused(f"{self.describe()} has already passed: choose a later time.")
        if self.run_at > now + HORIZON:
            raise ScheduleRefused("A change can be scheduled at most a year ahead.")
        return self


def schedule_of(job: BulkJob) -> Schedule | None:
    return Schedule(job.run_at, job.run_time_zone or "UTC") if job.run_at else None


def due_text(job: BulkJob) -> str:
    """When the job is (or was) due, in words; "" for a job that was never scheduled."""
    schedule = schedule_of(job)
    return schedule.describe() if schedule else ""


def scheduled_fields(schedule: Schedule | None) -> dict[str, Any]:
    """What a new job holds to wait for `schedule` (nothing for now)."""
    if schedule is None:
        return {}
    return {"state": BulkJob.SCHEDULED, "run_at": schedule.run_at, "run_time_zone": schedule.zone}


# --- Time zones ----------------------------------------------------------------------------------


@cache
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    """Country code → its IANA zones, from the tz database's zone.tab (the tzdata package)."""
    table = (files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8")
    zones: dict[str, list[str]] = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            country, _, zone, *_ = line.split("\t")
            zones.setdefault(country, []).append(zone)
    return {country: tuple(sorted(names)) for country, names in zones.items()}


@cache
def _all_zones() -> tuple[str, ...]:
    return tuple(sorted({zone for zones in _zones_by_country().values() for zone in zones}))


def zone_choices(countries: Iterable[str]) -> list[tuple[str, Any]]:
    """A time zone select: the portal's zone first, then the zones of `countries` (the users'
    locations: a country with several zones offers each), then every other zone."""
    portal = settings.TIME_ZONE
    near = [
        zone
        for country in sorted({code.upper() for code in countries if code})
        for zone in _zones_by_country().get(country, ())
        if zone != portal
    ]
    near = list(dict.fromkeys(near))
    others = [zone for zone in _all_zones() if zone != portal and zone not in near]
    choices: list[tuple[str, Any]] = [(portal, f"{portal} (the portal's time zone)")]
    if near:
        choices.append(("The users' locations", [(zone, zone) for zone in near]))
    choices.append(("Other time zones", [(zone, zone) for zone in others]))
    return choices

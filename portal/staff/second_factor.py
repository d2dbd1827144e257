"""A second factor for local accounts: an authenticator app (TOTP, django-otp's `TOTPDevice`,
which throttles wrong codes by itself: each failure doubles the wait before the next try) and ten
one-time recovery codes (`RecoveryCode`: salted digests, never the codes, as django-otp's own
static tokens would be). `django_otp.login` marks the session as verified; a wrong recovery code
counts against the app's throttle too.

Who needs one: a local account with a role when `PORTAL_REQUIRE_MFA` is on (the default in live
mode), and anyone who has enrolled. Microsoft sign-ins rely on Entra's own MFA; the sandbox's demo
account is exempt. `SecondFactorMiddleware` sends a signed-in person who needs a code, or needs to
enrol, to that step before anything else.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Final

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.demo import is_demo_account
from portal.models import RecoveryCode
from portal.staff.access import role_of

APP_DEVICE: Final = "Authenticator app"
RECOVERY_CODES: Final = 10
RECOVERY_LENGTH: Final = 10
ISSUER: Final = "Partner Portal"


def is_microsoft_account(user: User) -> bool:
    return hasattr(user, "entra_account")


def enrolled(user: User) -> bool:
    found: bool = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    return found


def needs_second_factor(user: User) -> bool:
    """Whether this person must give a code at sign-in (enrolled) or enrol first (required)."""
    if is_microsoft_account(user) or is_demo_account(user):
        return False
    if enrolled(user):
        return True
    return bool(settings.PORTAL_REQUIRE_MFA) and role_of(user) is not None


@dataclass(frozen=True)
class Enrolment:
    """An app being added: the secret to type, and its QR code (an SVG) to scan."""

    device: TOTPDevice
    secret: str  # base32, grouped in fours for typing
    qr_svg: str


def enrolment_start(*, user: User) -> Enrolment:
    """A new, unconfirmed authenticator for `user` (any earlier unconfirmed one is replaced)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)
    return _shown(device)


def enrolment_pending(*, user: User) -> Enrolment | None:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return _shown(device) if device else None


def _shown(device: TOTPDevice) -> Enrolment:
    secret = b32encode(device.bin_key).decode().rstrip("=")
    uri = device.config_url.replace("otpauth://totp/", f"otpauth://totp/{ISSUER}:", 1)
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    svg = svg[svg.index("<svg") :]  # no XML declaration inside the page
    return Enrolment(device, " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)), svg)


def enrolment_confirm(*, request: HttpRequest, user: User, code: str) -> list[str] | None:
    """The first code from the new app: when right, the app is confirmed, ten recovery codes
    made (returned, to be shown once) and this session verified. None when the code is wrong;
    CodeRefused while wrong codes make it wait."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        return None
    allowed, data = device.verify_is_allowed()
    if not allowed:
        raise CodeRefused(_throttled(data))
    if not device.verify_token(_digits(code)):
        return None
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = recovery_codes_replace(user=user)
    otp_login(request, device)
    return codes


def recovery_codes_replace(*, user: User) -> list[str]:
    """Ten new recovery codes (the old ones no longer work); only their digests are kept."""
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, digest=_digest(code)) for code in codes
        )
    return codes


def _digest(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    return f"{salt}${hashlib.sha256(f'{salt}{code.lower()}'.encode()).hexdigest()}"


def _recovery_code_use(user: User, code: str) -> bool:
    """Whether `code` is one of the user's unused recovery codes; it is used up if so (a
    conditional update: of two simultaneous sign-ins with it, one wins)."""
    for row in RecoveryCode.objects.filter(user=user, used_at__isnull=True):
        salt = row.digest.split("$", 1)[0]
        if hmac.compare_digest(row.digest, _digest(code, salt)):
            return bool(
                RecoveryCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
                    used_at=timezone.now()
                )
            )
    return False


def _recovery_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
    return "".join(secrets.choice(alphabet) for _ in range(RECOVERY_LENGTH))


def _digits(code: str) -> str:
    return "".join(code.split())


class CodeRefused(Exception):
    """A wrong code, or too many wrong codes in a row; `str(error)` says which."""


def code_verify(*, request: HttpRequest, user: User, code: str) -> None:
    """A code at sign-in: the app's six digits, or a recovery code (used once). Marks the
    session verified; raises CodeRefused, saying when to try again if throttled."""
    code = _digits(code).lower()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise CodeRefused("No authenticator app is set up for you: ask a superuser.")
    allowed, data = device.verify_is_allowed()
    if not allowed:
        raise CodeRefused(_throttled(data))
    if device.verify_token(code):  # counts a wrong code against the throttle itself
        otp_login(request, device)
        return
    if len(code) == RECOVERY_LENGTH and _recovery_code_use(user, code):
        device.throttle_reset()
        otp_login(request, device)
        return
    raise CodeRefused("That code is not right. Try the code your app shows now.")


def _throttled(data: dict[str, object] | None) -> str:
    until = (data or {}).get("locked_until")
    when = f" after {until:%H:%M:%S}" if until else " in a moment"
    return f"Too many wrong codes: try again{when}."


def second_factor_reset(*, user: User) -> None:
    """A superuser's reset: the person's app and recovery codes are removed; they enrol again
    at their next sign-in (when required)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()


# --- The gate ------------------------------------------------------------------------------------

# What a signed-in person who still needs a code (or to enrol) may reach.
_OPEN_PATHS: Final = ("/static/", "/healthz", "/sign-out/", "/sign-in/")


# Set in a session once it is known that its person needs no second factor (no app, none
# required): the answer takes three queries, and a role given later counts from the next sign-in.
_NOT_NEEDED: Final = "portal_second_factor_not_needed"


def _needed(request: HttpRequest, user: User) -> bool:
    if request.session.get(_NOT_NEEDED):
        return False
    needed = needs_second_factor(user)
    if not needed:
        request.session[_NOT_NEEDED] = True
    return needed


class SecondFactorMiddleware:
    """After django-otp's OTPMiddleware: a local account that needs a second factor and has not
    given one in this session goes to the code step (or to enrolment) first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if (
            isinstance(user, User)
            and user.is_authenticated
            and not request.path.startswith(_OPEN_PATHS)
            and request.path != reverse("staff:second_factor_enrol")
            and not user.is_verified()  # type: ignore[attr-defined]
            and _needed(request, user)
        ):
            step = "staff:second_factor" if enrolled(user) else "staff:second_factor_enrol"
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

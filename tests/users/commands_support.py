"""A sandbox customer arranged for the customer_user_* command tests, and a way to run them."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TextIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.models import AuditRecord
from portal.sandbox.models import CustomerUser, LicenseAssignment, RoleMember
from tests.sandbox_data import (
    BUSINESS_BASIC,
    GLOBAL_ADMIN,
    MINECRAFT,
    OFFICE_E3,
    deleted,
    make_customer,
    make_role,
    make_sku,
    make_user,
)

LICENSE_ADMIN = "4d6ac14f-3453-41d0-bef9-a3e0c569773a"  # not a privileged role

DOMAIN = "contoso.onmicrosoft.com"
CUSTOM_DOMAIN = "contoso.com"


@dataclass
class Scene:
    """Contoso: Alice holds Global Administrator (a protected account) and Office 365 E3 (5
    seats), Bob holds no role, Dora was deleted three days ago and Gus, a deleted Global
    Administrator, two days ago. Nobody holds License Administrator; Business Basic has no seat,
    Minecraft (license group 2) three."""

    customer_id: str
    alice: CustomerUser
    bob: CustomerUser
    dora: CustomerUser
    gus: CustomerUser

    @property
    def customer(self) -> list[str]:
        return ["--tenant-id", self.customer_id]


def arrange() -> Scene:
    customer = make_customer("Contoso", DOMAIN, custom_domain=CUSTOM_DOMAIN)
    global_admin = make_role(customer, GLOBAL_ADMIN, "Global Administrator")
    make_role(customer, LICENSE_ADMIN, "License Administrator")
    e3 = make_sku(customer, OFFICE_E3, "Office 365 E3", "ENTERPRISEPACK", 5)
    make_sku(customer, BUSINESS_BASIC, "Microsoft 365 Business Basic", "O365_BUSINESS", 0)
    minecraft = make_sku(customer, MINECRAFT, "Minecraft: Education Edition", "MEE_STUDENT", 3)
    minecraft.license_group = "group2"
    minecraft.save(update_fields=["license_group"])
    alice = make_user(customer, "alice", "Alice Admin", usage_location="US", first_name="Alice")
    bob = make_user(customer, "bob", "Bob Builder", usage_location="GB", last_name="Builder")
    dora = deleted(make_user(customer, "dora", "Dora Deleted", usage_location="FR"), 3)
    gus = deleted(make_user(customer, "gus", "Gus Gone"), 2)
    RoleMember.objects.create(role=global_admin, user=alice)
    RoleMember.objects.create(role=global_admin, user=gus)
    LicenseAssignment.objects.create(user=alice, sku=e3)
    return Scene(str(customer.id), alice, bob, dora, gus)


@dataclass
class Outcome:
    out: str
    err: str
    code: int

    @property
    def error_line(self) -> str:
        """The error, which must be exactly one line."""
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        return lines[0]


@pytest.fixture
def scene() -> Scene:
    return arrange()


def run(name: str, *argv: str, stdin: TextIO | None = None, **options: object) -> Outcome:
    """`manage.py <name> <argv>` through call_command: output, error and exit code."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *argv, stdout=out, stderr=err, stdin=stdin, **options)
    except CommandError as error:
        # What manage.py prints for a CommandError, and the exit code it leaves.
        err.write(f"{type(error).__name__}: {error}\n")
        return Outcome(out.getvalue(), err.getvalue(), error.returncode)
    return Outcome(out.getvalue(), err.getvalue(), 0)


def audit(action: str) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action=action).order_by("id"))


def refresh(user: CustomerUser) -> CustomerUser:
    user.refresh_from_db()
    return user

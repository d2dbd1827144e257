"""Every page of the portal, axe-clean (no serious or critical violation) at 1440 and 390 wide,
and nothing wider than the screen at 390: the signed-out pages, then each page a superuser with
the Admin agent role can reach, on the default seed.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from portal.audit.records import Actor
from portal.sandbox import seed_plan
from portal.sandbox.models import Customer, CustomerUser
from tests.conftest import _staff
from tests.directory_data import synced
from tests.e2e.test_layout import assert_accessible, sign_in
from tests.users.bulk_jobs_support import Scene, make_draft
from users.bulk.jobs import bulk_job_create
from users.bulk.worker import bulk_job_run

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "sandbox"]),
    pytest.mark.usefixtures("live_sandbox"),
]

CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
WIDTHS = ((1440, 900), (390, 844))


def check(page: Page, url: str) -> None:
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        response = page.goto(url)
        assert response is not None and response.status < 400, f"{url}: {response}"
        page.wait_for_load_state("load")
        try:
            assert_accessible(page)
        except AssertionError as failure:
            raise AssertionError(f"{url} at {width} px: {failure}") from None
        if width == 390:
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{url} is {overflow} px wider than a 390 px screen"


def test_every_page_is_accessible_at_1440_and_390(page: Page, live_server: LiveServer) -> None:
    for url in ("/sign-in/",):
        check(page, f"{live_server.url}{url}")

    staff = _staff("sam", "Sam Super", "Admin agent", is_staff=True, is_superuser=True)
    mirror = synced(CONTOSO)
    user = CustomerUser.objects.filter(customer_id=CONTOSO, state="active").order_by("pk").first()
    assert user is not None
    scene = Scene(Customer.objects.get(pk=CONTOSO), mirror, staff)
    upload = bulk_job_create(
        draft=make_draft(scene, 2),
        customer=mirror,
        usage_location="GB",
        actor=Actor.for_command(staff),
    )
    bulk_job_run(job_id=upload.pk, concurrency=1)
    draft = make_draft(scene, 2)

    sign_in(page, live_server, "sam")
    pages = [
        "/",
        "/search/?q=maria",
        "/customers/",
        f"/customers/{CONTOSO}/",
        f"/customers/{CONTOSO}/?license=none",
        f"/customers/{CONTOSO}/deleted/",
        f"/customers/{CONTOSO}/users/add/",
        f"/customers/{CONTOSO}/users/{user.pk}/",
        f"/customers/{CONTOSO}/users/{user.pk}/reset-password/",
        f"/customers/{CONTOSO}/users/{user.pk}/delete/",
        f"/customers/{CONTOSO}/users/selected/?action=licenses&users={user.pk}",
        f"/customers/{CONTOSO}/users/selected/?action=reset&users={user.pk}",
        f"/customers/{CONTOSO}/users/selected/?action=delete&all=1",
        f"/customers/{CONTOSO}/upload/",
        f"/customers/{CONTOSO}/upload/save/?draft={draft.public_id}",
        f"/customers/{CONTOSO}/uploads/{upload.public_id}/",
        f"/customers/{CONTOSO}/uploads/{upload.public_id}/passwords/reset/",
        "/audit/",
        "/partner-center/connection/",
        "/account/password/",
        "/account/",
        "/account/second-factor/",
    ]
    for url in pages:
        check(page, f"{live_server.url}{url}")

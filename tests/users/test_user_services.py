"""Adding, updating, resetting, deleting and restoring users through the services, audited."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User

from customers.directory.customer_queries import customer_get
from customers.directory.models import DirectoryCustomer, DirectoryUser
from customers.directory.user_queries import user_get, users_of
from portal.audit.records import Action, Actor, AuditContext
from portal.models import AuditRecord
from portal.partnercenter import AlreadyExists, InvalidInput, NotFound, Unavailable, partner_center
from portal.sandbox.models import (
    Customer,
    CustomerUser,
    FaultSettings,
    LicenseAssignment,
    RoleMember,
)
from tests.db_dump import dump_database
from tests.directory_data import synced
from tests.sandbox_data import (
    BUSINESS_BASIC,
    GLOBAL_ADMIN,
    HELPDESK_ADMIN,
    OFFICE_E3,
    deleted,
    make_customer,
    make_role,
    make_sku,
    make_user,
)
from users import assignments, restores, selectors, services, updates
from users.models import OneTimeRequest
from users.roles import PrivilegedRoleNotConfirmed

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("empty_cache"),
]


@dataclass
class Scene:
    customer_id: str
    audit: AuditContext
    alice: CustomerUser
    bob: CustomerUser
    role_names: dict[str, str]


@pytest.fixture
def scene(admin_agent: User) -> Scene:
    customer = make_customer("Contoso", "contoso.onmicrosoft.com", custom_domain="contoso.com")
    global_admin = make_role(customer, GLOBAL_ADMIN, "Global Administrator")
    make_role(customer, HELPDESK_ADMIN, "Helpdesk Administrator")
    make_sku(
        customer, BUSINESS_BASIC, "Microsoft 365 Business Basic", "O365_BUSINESS_ESSENTIALS", 5
    )
    e3 = make_sku(customer, OFFICE_E3, "Office 365 E3", "ENTERPRISEPACK", 1)
    alice = make_user(customer, "alice", "Alice Admin", usage_location="US", first_name="Alice")
    bob = make_user(customer, "bob", "Bob Builder", usage_location="GB", last_name="Builder")
    RoleMember.objects.create(role=global_admin, user=alice)
    LicenseAssignment.objects.create(user=alice, sku=e3)  # the last E3 seat
    audit = AuditContext(
        Actor.for_command(admin_agent), str(customer.id), "Contoso", ticket="INC-42"
    )
    names = {GLOBAL_ADMIN: "Global Administrator", HELPDESK_ADMIN: "Helpdesk Administrator"}
    return Scene(str(customer.id), audit, alice, bob, names)


def new_user(
    *,
    user_principal_name: str = "carol@contoso.com",
    password: str | None = None,
    role_ids: tuple[str, ...] = (),
    sku_ids: tuple[str, ...] = (),
    privileged_confirmed: frozenset[str] = frozenset(),
) -> services.NewUser:
    """Carol Singer as the Add user form collects her, with what a test changes."""
    return services.NewUser(
        display_name="Carol Singer",
        user_principal_name=user_principal_name,
        first_name="Carol",
        last_name="Singer",
        usage_location="DE",
        role_ids=role_ids,
        sku_ids=sku_ids,
        password=password,
        privileged_confirmed=privileged_confirmed,
    )


def records(action: Action) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action=action).order_by("id"))


# --- Add user ------------------------------------------------------------------------------------


def test_add_user_creates_the_user_with_a_generated_password_shown_once(scene: Scene) -> None:
    result = services.user_create(
        pc=partner_center(), audit=scene.audit, new=new_user(), request_id="form-1"
    )
    assert result.user is not None and result.user.id is not None
    assert result.password and len(result.password) == 16
    assert result.complete
    stored = CustomerUser.objects.get(pk=result.user.id)
    assert (stored.user_principal_name, stored.usage_location) == ("carol@contoso.com", "DE")
    assert (
        OneTimeRequest.objects.get(request_id="form-1", done_at__isnull=False).user_id
        == result.user.id
    )
    [record] = records(Action.USER_CREATE)
    assert (record.outcome, record.ticket, record.target_user_id) == (
        "succeeded",
        "INC-42",
        stored.pk.hex if False else str(stored.pk),
    )
    assert record.changes["display_name"] == ["", "Carol Singer"]
    assert record.ms_request_id == "form-1"
    assert record.ms_correlation_id  # successes are traceable on Partner Center's side too


def test_a_typed_password_is_used_and_roles_and_licences_follow(scene: Scene) -> None:
    result = services.user_create(
        pc=partner_center(),
        audit=scene.audit,
        new=new_user(
            password="Typed!Pass123",
            role_ids=(HELPDESK_ADMIN,),
            sku_ids=(BUSINESS_BASIC,),
            privileged_confirmed=frozenset({HELPDESK_ADMIN}),
        ),
        request_id="form-2",
        role_names=scene.role_names,
    )
    assert result.password == "Typed!Pass123"
    assert [step.description for step in result.steps] == [
        "Created carol@contoso.com",
        "Gave the privileged role Helpdesk Administrator",
        "Changed the licenses",
    ]
    assert result.complete
    assert result.user is not None and result.user.id is not None
    user = CustomerUser.objects.get(pk=result.user.id)
    assert list(user.role_members.values_list("role__name", flat=True)) == [
        "Helpdesk Administrator"
    ]
    assert list(user.licenses.values_list("sku__sku_part_number", flat=True)) == [
        "O365_BUSINESS_ESSENTIALS"
    ]
    assert records(Action.USER_ROLES_CHANGE)[0].changes == {
        "added": ["Helpdesk Administrator"],
        "privileged": True,
    }


def test_a_failed_later_step_says_what_was_and_was_not_done(scene: Scene) -> None:
    result = services.user_create(
        pc=partner_center(),
        audit=scene.audit,
        new=new_user(sku_ids=(OFFICE_E3,)),
        request_id="form-3",
    )
    assert result.user is not None  # the user exists
    assert not result.complete
    created, licences = result.steps
    assert created.succeeded
    assert not licences.succeeded
    assert "run out of licenses" in licences.error
    assert records(Action.USER_LICENSES_CHANGE)[0].outcome == "failed"


def test_a_resubmitted_form_creates_nothing_and_never_shows_the_password_again(
    scene: Scene,
) -> None:
    first = services.user_create(
        pc=partner_center(), audit=scene.audit, new=new_user(), request_id="form-4"
    )
    again = services.user_create(
        pc=partner_center(), audit=scene.audit, new=new_user(), request_id="form-4"
    )
    assert again.already_created is not None
    assert first.user is not None
    assert again.already_created.user_id == first.user.id
    assert again.password is None and again.user is None
    assert CustomerUser.objects.filter(user_principal_name="carol@contoso.com").count() == 1
    assert len(records(Action.USER_CREATE)) == 1


def test_a_taken_username_raises_already_exists_and_is_audited(scene: Scene) -> None:
    with pytest.raises(AlreadyExists):
        services.user_create(
            pc=partner_center(),
            audit=scene.audit,
            new=new_user(user_principal_name="ALICE@contoso.onmicrosoft.com"),
            request_id="form-5",
        )
    [record] = records(Action.USER_CREATE)
    assert record.outcome == "failed"
    assert record.target_username == "ALICE@contoso.onmicrosoft.com"
    assert record.ms_correlation_id
    assert not OneTimeRequest.objects.filter(done_at__isnull=False).exists()


def test_a_lost_answer_replayed_to_the_sdks_own_retry_keeps_the_password_it_sent(
    scene: Scene,
) -> None:
    faults = FaultSettings.current()
    faults.lost_response_rate = 1.0  # committed, then answered 504; the retry gets the replay
    faults.save()
    result = services.user_create(
        pc=partner_center(),
        audit=scene.audit,
        new=new_user(password="Typed!Pass123"),
        request_id="form-6",
    )
    # The replay answers this very call's first attempt, whose body carried this password.
    assert result.user is not None
    assert result.password == "Typed!Pass123" and not result.password_lost
    assert CustomerUser.objects.filter(user_principal_name="carol@contoso.com").count() == 1
    assert records(Action.USER_CREATE)[0].message == ""


def _lose_the_answer_then_fail_every_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next change commits but its answer is lost; every retry of it then gets a 5xx, so the
    call ends with an unknown outcome (what a network cut looks like)."""
    faults = FaultSettings.current()
    faults.lost_response_rate = 1.0
    faults.save()

    def sleep(seconds: float) -> None:
        FaultSettings.objects.update(lost_response_rate=0.0, error_rate=1.0)

    monkeypatch.setattr("portal.partnercenter.retry._sleep", sleep)


def _faults_off() -> None:
    FaultSettings.objects.update(lost_response_rate=0.0, error_rate=0.0)


def test_a_second_save_after_an_unconfirmed_one_cannot_know_the_password(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    _lose_the_answer_then_fail_every_retry(monkeypatch)
    with pytest.raises(Unavailable) as unknown:
        services.user_create(
            pc=partner_center(), audit=scene.audit, new=new_user(), request_id="form-6b"
        )
    assert unknown.value.outcome_unknown
    _faults_off()
    # Save again with the same id: Partner Center replays the first Save's answer, whatever this
    # Save's (new) password is, so the password that was set is unknown.
    again = services.user_create(
        pc=partner_center(), audit=scene.audit, new=new_user(), request_id="form-6b"
    )
    assert again.user is not None
    assert again.password_lost and again.password is None
    assert CustomerUser.objects.filter(user_principal_name="carol@contoso.com").count() == 1
    assert "earlier Save" in records(Action.USER_CREATE)[-1].message


def test_a_privileged_role_is_not_granted_unless_confirmed(scene: Scene) -> None:
    with pytest.raises(PrivilegedRoleNotConfirmed) as refused:
        services.user_create(
            pc=partner_center(),
            audit=scene.audit,
            new=new_user(role_ids=(GLOBAL_ADMIN,)),
            request_id="form-p",
            role_names=scene.role_names,
        )
    assert refused.value.role_ids == [GLOBAL_ADMIN]
    assert not CustomerUser.objects.filter(user_principal_name="carol@contoso.com").exists()
    assert not AuditRecord.objects.exists()
    result = services.user_create(
        pc=partner_center(),
        audit=scene.audit,
        new=new_user(role_ids=(GLOBAL_ADMIN,), privileged_confirmed=frozenset({GLOBAL_ADMIN})),
        request_id="form-p",
        role_names=scene.role_names,
    )
    assert result.complete
    [record] = records(Action.USER_ROLES_CHANGE)
    assert record.changes == {"added": ["Global Administrator"], "privileged": True}
    assert "Gave the privileged role Global Administrator" in [s.description for s in result.steps]


def test_an_outage_leaves_the_form_resubmittable_with_the_same_id(scene: Scene) -> None:
    faults = FaultSettings.current()
    faults.error_rate = 1.0
    faults.save()
    with pytest.raises(Unavailable) as outage:
        services.user_create(
            pc=partner_center(), audit=scene.audit, new=new_user(), request_id="form-8"
        )
    assert outage.value.outcome_unknown
    assert not OneTimeRequest.objects.filter(done_at__isnull=False).exists()
    faults.error_rate = 0.0
    faults.save()
    again = services.user_create(
        pc=partner_center(), audit=scene.audit, new=new_user(), request_id="form-8"
    )
    assert again.password is not None
    assert [r.outcome for r in records(Action.USER_CREATE)] == ["failed", "succeeded"]


# --- Write-through: every change shows in the directory at once -----------------------------


def _mirror(scene: Scene) -> DirectoryCustomer:
    customer = synced(scene.customer_id)
    return _directory_customer(customer.tenant_id)


def _directory_customer(tenant_id: str) -> DirectoryCustomer:
    """The customer as the directory holds it now."""
    customer = customer_get(tenant_id)
    assert customer is not None
    return customer


def test_adding_a_user_writes_it_through_with_its_roles_and_licences(scene: Scene) -> None:
    mirror = _mirror(scene)
    users_before = mirror.users_count
    result = services.user_create(
        pc=partner_center(),
        audit=scene.audit,
        new=new_user(
            role_ids=(HELPDESK_ADMIN,),
            sku_ids=(BUSINESS_BASIC,),
            privileged_confirmed=frozenset({HELPDESK_ADMIN}),
        ),
        request_id="form-7",
        role_names=scene.role_names,
    )
    assert result.user is not None and result.user.id
    row = user_get(_directory_customer(scene.customer_id), result.user.id)
    assert row is not None and row.state == DirectoryUser.ACTIVE
    assert row.user_principal_name == "carol@contoso.com"
    assert row.roles == "Helpdesk Administrator"
    assert row.written_at is not None
    assert _directory_customer(scene.customer_id).users_count == users_before + 1
    assert services_licenses(scene, result.user.id) == [BUSINESS_BASIC]
    # Word search finds it straight away.
    found = users_of(_directory_customer(scene.customer_id), search="carol sing")
    assert [user.user_principal_name for user in found] == ["carol@contoso.com"]


def services_licenses(scene: Scene, user_id: str) -> list[str]:
    from customers.directory.user_queries import licenses_of

    mirror = customer_get(scene.customer_id)
    assert mirror is not None
    return licenses_of(mirror, [user_id]).get(user_id, [])


def test_update_delete_and_restore_write_through(scene: Scene) -> None:
    _mirror(scene)
    pc = partner_center()
    details = selectors.user_details(
        pc=pc, customer_id=scene.customer_id, user_id=str(scene.bob.pk)
    )
    updates.user_update(
        pc=pc,
        audit=scene.audit,
        user_id=str(scene.bob.pk),
        fingerprint=details.fingerprint,
        changes=updates.UserChanges(
            display_name="Robert Builder",
            role_ids=frozenset({HELPDESK_ADMIN}),
            sku_ids=frozenset({BUSINESS_BASIC}),
            privileged_confirmed=frozenset({HELPDESK_ADMIN}),
        ),
        role_names=scene.role_names,
    )
    mirror = customer_get(scene.customer_id)
    assert mirror is not None
    row = user_get(mirror, str(scene.bob.pk))
    assert row is not None
    assert (row.display_name, row.roles) == ("Robert Builder", "Helpdesk Administrator")
    assert services_licenses(scene, str(scene.bob.pk)) == [BUSINESS_BASIC]

    services.user_delete(
        pc=pc, audit=scene.audit, user_id=str(scene.bob.pk), username="bob@contoso.onmicrosoft.com"
    )
    row = user_get(mirror, str(scene.bob.pk))
    assert row is not None and row.state == DirectoryUser.DELETED and row.deleted_at
    mirror.refresh_from_db()
    deleted_before = mirror.deleted_count

    restores.users_restore(pc=pc, audit=scene.audit, users=[row])
    row = user_get(mirror, str(scene.bob.pk))
    assert row is not None and row.state == DirectoryUser.ACTIVE and row.deleted_at is None
    mirror.refresh_from_db()
    assert mirror.deleted_count == deleted_before - 1


def test_the_user_page_writes_what_it_read_live(scene: Scene) -> None:
    _mirror(scene)
    CustomerUser.objects.filter(pk=scene.bob.pk).update(display_name="Changed In Partner Center")
    selectors.user_details(
        pc=partner_center(), customer_id=scene.customer_id, user_id=str(scene.bob.pk)
    )
    row = user_get(_directory_customer(scene.customer_id), str(scene.bob.pk))
    assert row is not None and row.display_name == "Changed In Partner Center"


# --- Update ------------------------------------------------------------------------------------


def test_submit_sends_only_what_changed_and_an_emptied_field_is_cleared(scene: Scene) -> None:
    pc = partner_center()
    details = selectors.user_details(
        pc=pc, customer_id=scene.customer_id, user_id=str(scene.bob.pk)
    )
    steps = updates.user_update(
        pc=pc,
        audit=scene.audit,
        user_id=str(scene.bob.pk),
        fingerprint=details.fingerprint,
        changes=updates.UserChanges(
            first_name="",
            last_name="",
            display_name="Robert Builder",
            user_principal_name="bob@contoso.onmicrosoft.com",
            usage_location="GB",
        ),
    )
    assert [step.description for step in steps] == ["Saved the user's details"]
    scene.bob.refresh_from_db()
    assert (scene.bob.display_name, scene.bob.last_name) == ("Robert Builder", "")
    [record] = records(Action.USER_UPDATE)
    assert record.changes == {
        "display_name": ["Bob Builder", "Robert Builder"],
        "last_name": ["Builder", ""],
    }


def test_a_concurrent_change_is_shown_not_overwritten(scene: Scene) -> None:
    pc = partner_center()
    details = selectors.user_details(
        pc=pc, customer_id=scene.customer_id, user_id=str(scene.bob.pk)
    )
    CustomerUser.objects.filter(pk=scene.bob.pk).update(display_name="Changed Elsewhere")
    with pytest.raises(updates.ConcurrentChange) as conflict:
        updates.user_update(
            pc=pc,
            audit=scene.audit,
            user_id=str(scene.bob.pk),
            fingerprint=details.fingerprint,
            changes=updates.UserChanges(display_name="Mine"),
        )
    assert conflict.value.current.display_name == "Changed Elsewhere"
    scene.bob.refresh_from_db()
    assert scene.bob.display_name == "Changed Elsewhere"
    assert not records(Action.USER_UPDATE)


def test_a_forged_fingerprint_is_refused(scene: Scene) -> None:
    with pytest.raises(selectors.BadFingerprint):
        updates.user_update(
            pc=partner_center(),
            audit=scene.audit,
            user_id=str(scene.bob.pk),
            fingerprint="not-signed",
            changes=updates.UserChanges(display_name="Mine"),
        )


def test_submit_changes_roles_and_licences(scene: Scene) -> None:
    pc = partner_center()
    details = selectors.user_details(
        pc=pc, customer_id=scene.customer_id, user_id=str(scene.alice.pk)
    )
    assert details.is_protected
    steps = updates.user_update(
        pc=pc,
        audit=scene.audit,
        user_id=str(scene.alice.pk),
        fingerprint=details.fingerprint,
        changes=updates.UserChanges(
            role_ids=frozenset({HELPDESK_ADMIN}),
            sku_ids=frozenset({BUSINESS_BASIC}),
            privileged_confirmed=frozenset({HELPDESK_ADMIN}),
        ),
        role_names=scene.role_names,
    )
    assert [(step.description, step.succeeded) for step in steps] == [
        ("Gave the privileged role Helpdesk Administrator", True),
        ("Took away the role Global Administrator", True),
        ("Changed the licenses", True),
    ]
    assert [str(sku) for sku in scene.alice.licenses.values_list("sku__sku_id", flat=True)] == [
        BUSINESS_BASIC
    ]


def test_an_invalid_change_is_audited_as_failed_and_raised(scene: Scene) -> None:
    pc = partner_center()
    details = selectors.user_details(
        pc=pc, customer_id=scene.customer_id, user_id=str(scene.bob.pk)
    )
    with pytest.raises(InvalidInput):
        updates.user_update(
            pc=pc,
            audit=scene.audit,
            user_id=str(scene.bob.pk),
            fingerprint=details.fingerprint,
            changes=updates.UserChanges(user_principal_name="bob@elsewhere.example"),
        )
    [record] = records(Action.USER_UPDATE)
    assert record.outcome == "failed"


def test_a_stale_page_changes_only_what_was_changed_on_it(scene: Scene) -> None:
    """Loaded, then someone grants Bob a role and a license and takes Alice's Global
    Administrator away; the stale pages change only a display name."""
    pc = partner_center()
    bob = selectors.user_details(pc=pc, customer_id=scene.customer_id, user_id=str(scene.bob.pk))
    alice = selectors.user_details(
        pc=pc, customer_id=scene.customer_id, user_id=str(scene.alice.pk)
    )
    customer = _customer(scene)
    RoleMember.objects.create(role=customer.roles.get(role_id=HELPDESK_ADMIN), user=scene.bob)
    LicenseAssignment.objects.create(user=scene.bob, sku=customer.skus.get(sku_id=BUSINESS_BASIC))
    RoleMember.objects.filter(user=scene.alice).delete()
    for details, person in ((bob, scene.bob), (alice, scene.alice)):
        updates.user_update(
            pc=pc,
            audit=scene.audit,
            user_id=str(person.pk),
            fingerprint=details.fingerprint,
            # The page's check boxes as they were loaded: unchanged by the person.
            changes=updates.UserChanges(
                display_name=f"{person.display_name} (new)",
                role_ids=frozenset(role_id for role_id, _ in details.roles),
                sku_ids=frozenset(details.sku_ids),
            ),
            role_names=scene.role_names,
        )
    assert list(scene.bob.role_members.values_list("role__name", flat=True)) == [
        "Helpdesk Administrator"
    ]
    assert scene.bob.licenses.count() == 1
    assert not scene.alice.role_members.exists()  # not granted again
    assert scene.alice.licenses.count() == 1
    assert not records(Action.USER_ROLES_CHANGE) and not records(Action.USER_LICENSES_CHANGE)
    assert len(records(Action.USER_UPDATE)) == 2


def test_a_role_changed_on_a_stale_page_keeps_what_others_did_meanwhile(scene: Scene) -> None:
    pc = partner_center()
    details = selectors.user_details(
        pc=pc, customer_id=scene.customer_id, user_id=str(scene.alice.pk)
    )
    customer = _customer(scene)
    RoleMember.objects.create(role=customer.roles.get(role_id=HELPDESK_ADMIN), user=scene.alice)
    # The page unchecks Global Administrator; Helpdesk Administrator, granted meanwhile, stays.
    steps = updates.user_update(
        pc=pc,
        audit=scene.audit,
        user_id=str(scene.alice.pk),
        fingerprint=details.fingerprint,
        changes=updates.UserChanges(
            role_ids=frozenset(), roles_offered=frozenset(scene.role_names)
        ),
        role_names=scene.role_names,
    )
    assert [step.description for step in steps] == ["Took away the role Global Administrator"]
    assert list(scene.alice.role_members.values_list("role__name", flat=True)) == [
        "Helpdesk Administrator"
    ]


def test_a_clash_on_a_field_both_changed_changes_nothing_and_reports_roles_too(
    scene: Scene,
) -> None:
    pc = partner_center()
    details = selectors.user_details(
        pc=pc, customer_id=scene.customer_id, user_id=str(scene.bob.pk)
    )
    CustomerUser.objects.filter(pk=scene.bob.pk).update(display_name="Theirs")
    customer = _customer(scene)
    RoleMember.objects.create(role=customer.roles.get(role_id=HELPDESK_ADMIN), user=scene.bob)
    with pytest.raises(updates.ConcurrentChange) as conflict:
        updates.user_update(
            pc=pc,
            audit=scene.audit,
            user_id=str(scene.bob.pk),
            fingerprint=details.fingerprint,
            changes=updates.UserChanges(
                display_name="Mine",
                sku_ids=frozenset({BUSINESS_BASIC}),
                usage_location="FR",
            ),
        )
    assert conflict.value.clashes == ("display_name",)
    assert conflict.value.current_role_ids == frozenset({HELPDESK_ADMIN})
    scene.bob.refresh_from_db()
    assert (scene.bob.display_name, scene.bob.usage_location) == ("Theirs", "GB")
    assert not scene.bob.licenses.exists()
    assert not AuditRecord.objects.exists()


def test_the_same_change_made_meanwhile_is_no_conflict(scene: Scene) -> None:
    pc = partner_center()
    details = selectors.user_details(
        pc=pc, customer_id=scene.customer_id, user_id=str(scene.bob.pk)
    )
    CustomerUser.objects.filter(pk=scene.bob.pk).update(display_name="Robert Builder")
    steps = updates.user_update(
        pc=pc,
        audit=scene.audit,
        user_id=str(scene.bob.pk),
        fingerprint=details.fingerprint,
        changes=updates.UserChanges(display_name="Robert Builder", usage_location="FR"),
    )
    assert steps == [assignments.Step("Saved the user's details", True)]
    [record] = records(Action.USER_UPDATE)
    assert record.changes == {"usage_location": ["GB", "FR"]}


def test_granting_a_privileged_role_on_the_user_page_needs_a_confirmation(scene: Scene) -> None:
    pc = partner_center()
    details = selectors.user_details(
        pc=pc, customer_id=scene.customer_id, user_id=str(scene.bob.pk)
    )
    with pytest.raises(PrivilegedRoleNotConfirmed):
        updates.user_update(
            pc=pc,
            audit=scene.audit,
            user_id=str(scene.bob.pk),
            fingerprint=details.fingerprint,
            changes=updates.UserChanges(display_name="Changed", role_ids=frozenset({GLOBAL_ADMIN})),
            role_names=scene.role_names,
        )
    scene.bob.refresh_from_db()
    assert scene.bob.display_name == "Bob Builder" and not scene.bob.role_members.exists()
    # Taking a privileged role away needs no confirmation.
    alice = selectors.user_details(
        pc=pc, customer_id=scene.customer_id, user_id=str(scene.alice.pk)
    )
    updates.user_update(
        pc=pc,
        audit=scene.audit,
        user_id=str(scene.alice.pk),
        fingerprint=alice.fingerprint,
        changes=updates.UserChanges(role_ids=frozenset()),
        role_names=scene.role_names,
    )
    assert not scene.alice.role_members.exists()


# --- Reset, delete, restore -----------------------------------------------------------------------


def test_reset_password_returns_a_new_password_that_is_never_stored_or_logged(
    scene: Scene, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = services.user_reset_password(
        pc=partner_center(),
        audit=scene.audit,
        user_id=str(scene.bob.pk),
        username=scene.bob.user_principal_name,
    )
    password = result.password
    assert password is not None and len(password) == 16
    [record] = records(Action.USER_RESET_PASSWORD)
    assert record.outcome == "succeeded"
    assert password not in caplog.text
    for alias in ("default", "sandbox"):
        assert password not in dump_database(alias)


def _reset(scene: Scene, request_id: str) -> services.ResetResult:
    return services.user_reset_password(
        pc=partner_center(),
        audit=scene.audit,
        user_id=str(scene.bob.pk),
        username=scene.bob.user_principal_name,
        request_id=request_id,
    )


def test_a_reset_form_used_twice_resets_once(scene: Scene) -> None:
    first = _reset(scene, "reset-1")
    scene.bob.refresh_from_db()
    set_at = scene.bob.password_last_set_at
    again = _reset(scene, "reset-1")
    assert first.password and again.password is None and not again.password_lost
    assert again.already_done is not None and again.already_done.done_at is not None
    scene.bob.refresh_from_db()
    assert scene.bob.password_last_set_at == set_at
    assert len(records(Action.USER_RESET_PASSWORD)) == 1


def test_a_reset_whose_answer_was_lost_keeps_the_password_for_the_sdks_own_retry(
    scene: Scene,
) -> None:
    FaultSettings.objects.update(lost_response_rate=1.0)
    assert _reset(scene, "reset-2").password


def test_a_second_press_after_an_unconfirmed_reset_cannot_know_the_password(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    _lose_the_answer_then_fail_every_retry(monkeypatch)
    with pytest.raises(Unavailable):
        _reset(scene, "reset-3")
    _faults_off()
    again = _reset(scene, "reset-3")
    assert again.password is None and again.password_lost
    assert [r.outcome for r in records(Action.USER_RESET_PASSWORD)] == ["failed", "succeeded"]


def test_delete_then_restore_with_a_result_per_user(scene: Scene) -> None:
    pc = partner_center()
    services.user_delete(
        pc=pc, audit=scene.audit, user_id=str(scene.bob.pk), username="bob@contoso.onmicrosoft.com"
    )
    scene.bob.refresh_from_db()
    assert scene.bob.state == CustomerUser.INACTIVE
    purged = deleted(make_user(_customer(scene), "old", "Old Timer"), days_ago=31)
    taken = deleted(make_user(_customer(scene), "dup", "Dup One"), days_ago=2)
    make_user(_customer(scene), "dup", "Dup Two")
    rows = [
        selectors.DeletedUser(str(user.pk), user.user_principal_name)
        for user in (scene.bob, purged, taken)
    ]
    results = restores.users_restore(pc=pc, audit=scene.audit, users=rows)
    assert [(r.username, r.restored) for r in results] == [
        ("bob@contoso.onmicrosoft.com", True),
        ("old@contoso.onmicrosoft.com", False),
        ("dup@contoso.onmicrosoft.com", False),
    ]
    assert "purged" in results[1].reason
    assert "Another active user now has the username" in results[2].reason
    assert [r.outcome for r in records(Action.USER_RESTORE)] == ["succeeded", "failed", "failed"]


def test_deleting_an_unknown_user_raises_not_found_and_is_audited(scene: Scene) -> None:
    with pytest.raises(NotFound):
        services.user_delete(
            pc=partner_center(),
            audit=scene.audit,
            user_id="00000000-0000-0000-0000-000000000009",
            username="ghost@contoso.com",
        )
    assert records(Action.USER_DELETE)[0].outcome == "failed"


def test_protection_is_read_live_for_deleted_users_too(scene: Scene) -> None:
    pc = partner_center()
    deleted(scene.alice, days_ago=1)
    assert selectors.user_is_protected(
        pc=pc, customer_id=scene.customer_id, user_id=str(scene.alice.pk)
    )
    assert not selectors.user_is_protected(
        pc=pc, customer_id=scene.customer_id, user_id=str(scene.bob.pk)
    )


def _customer(scene: Scene) -> Customer:
    return scene.alice.customer

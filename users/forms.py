"""The forms of the user lifecycle screens: Add user, the user page's Submit, Reset password,
Delete user account, and Restore. They validate and convert; the services do the rest.

Choices that depend on the customer (domains, directory roles, licenses with seats left) come
from the directory and are passed in by the view.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from django import forms
from django.conf import settings
from django_countries import countries

from customers.directory.customer_queries import RoleRow, SkuRow
from portal.passwords import password_problem
from portal.tickets import TicketField
from portal.web.forms import style
from users.bulk.when import Schedule, ScheduleRefused, zone_choices
from users.roles import privileged_confirmation, role_is_privileged
from users.usernames import MAX_ALIAS, alias_problem

MAX_NAME: Final = 50

GENERATE: Final = "generate"
TYPED: Final = "typed"

LICENCE_NEEDS_LOCATION: Final = "Licenses need a location: choose the user's location."
NO_SEAT_LEFT: Final = "{name} has no seat left. Buy more seats or free one first."


def country_choices() -> list[tuple[str, str]]:
    return [("", "Choose a location"), *((code, str(name)) for code, name in countries)]


class RoleSelect(forms.CheckboxSelectMultiple):
    """Check boxes that mark the privileged roles, so a script can ask before one is granted."""

    def __init__(
        self, *args: Any, privileged: Iterable[str] = (), held: Iterable[str] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.privileged = set(privileged)
        self.held = set(held)

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(*args, **kwargs)
        if option["value"] in self.privileged:
            option["attrs"]["data-privileged"] = "true"
        if option["value"] in self.held:
            option["attrs"]["data-held"] = "true"
        return option


class LicenceSelect(forms.CheckboxSelectMultiple):
    """Check boxes that disable the licenses with no seat left (unless the user holds one)."""

    def __init__(self, *args: Any, disabled: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.disabled = set(disabled)

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(*args, **kwargs)
        if option["value"] in self.disabled:
            option["attrs"]["disabled"] = True
        return option


def _choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class StyledForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "ticket" in self.fields:
            # Read per form, not once at import: the setting may change without a restart in tests.
            self.fields["ticket"].required = settings.PORTAL_TICKET_REQUIRED
        style(self)


def _name_field(label: str, *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_NAME,
        required=required,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _clean_alias(alias: str) -> str:
    problem = alias_problem(alias)
    if problem:
        raise forms.ValidationError(problem.message("This username"))
    return alias


class _UserFields(StyledForm):
    """Names, username (alias @ domain), location, roles and licenses: shared by add and update."""

    first_name = _name_field("First name")
    last_name = _name_field("Last name")
    display_name = _name_field("Display name", required=True)
    alias = forms.CharField(
        label="Username",
        max_length=MAX_ALIAS,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    domain = forms.ChoiceField(label="Domain")
    usage_location = forms.ChoiceField(label="Location", required=False)
    roles = forms.MultipleChoiceField(
        label="Permissions", required=False, widget=forms.CheckboxSelectMultiple
    )
    licences = forms.MultipleChoiceField(label="Licenses", required=False)
    # Set by the confirmation step (or its script) to the privileged roles the person confirmed.
    confirm_privileged = forms.CharField(required=False, widget=forms.HiddenInput)
    ticket = TicketField()

    def __init__(
        self,
        *args: Any,
        domains: Sequence[str] = (),
        roles: Sequence[RoleRow] = (),
        skus: Sequence[SkuRow] = (),
        held_skus: Iterable[str] = (),
        held_roles: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        held = set(held_skus)
        self.skus = {sku.id: sku for sku in skus}
        _choices(self, "domain", [(name, name) for name in domains])
        _choices(self, "usage_location", country_choices())
        self.fields["roles"].widget = RoleSelect(
            privileged=[role.id for role in roles if role_is_privileged(role.id, role.name)],
            held=held_roles,
        )
        _choices(self, "roles", [(role.id, role.name) for role in roles])
        self.role_names = {role.id: role.name for role in roles}
        # Filled by `ask_privileged_confirmation`: the roles a confirmation step names.
        self.privileged_pending: list[str] = []
        self.privileged_value = ""
        self.privileged_user = ""
        self.full_skus = {sku.id for sku in skus if sku.available <= 0 and sku.id not in held}
        # The widget first: setting a field's choices hands them to its current widget.
        self.fields["licences"].widget = LicenceSelect(disabled=self.full_skus)
        _choices(
            self,
            "licences",
            [(sku.id, f"{sku.name} ({sku.available} of {sku.total} available)") for sku in skus],
        )
        style(self)
        self.fields["domain"].widget.attrs["aria-label"] = "Domain"

    def clean_alias(self) -> str:
        return _clean_alias(self.cleaned_data["alias"].strip())

    def clean_confirm_privileged(self) -> frozenset[str]:
        value = str(self.cleaned_data.get("confirm_privileged") or "")
        return frozenset(part for part in value.split(",") if part)

    def ask_privileged_confirmation(self, role_ids: Sequence[str], user_name: str) -> None:
        """Show the confirmation step: these privileged roles, for this user, need a yes."""
        self.privileged_pending = [self.role_names.get(role_id, role_id) for role_id in role_ids]
        self.privileged_value = privileged_confirmation(role_ids)
        self.privileged_user = user_name

    def clean_licences(self) -> list[str]:
        chosen: list[str] = self.cleaned_data["licences"]
        for sku_id in chosen:
            if sku_id in self.full_skus:
                raise forms.ValidationError(NO_SEAT_LEFT.format(name=self.skus[sku_id].name))
        return chosen

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("licences") and not cleaned.get("usage_location"):
            self.add_error("usage_location", LICENCE_NEEDS_LOCATION)
        return cleaned

    @property
    def username(self) -> str:
        return f"{self.cleaned_data['alias']}@{self.cleaned_data['domain']}"


class AddUserForm(_UserFields):
    """Add user. The one-time id (`form_id`) is rendered by the template, not as a widget, so a
    form re-shown with errors can carry a new one."""

    form_id = forms.UUIDField(widget=forms.HiddenInput)
    password_choice = forms.ChoiceField(
        label="Password",
        choices=[(GENERATE, "Generate a password"), (TYPED, "Let me type a password")],
        initial=GENERATE,
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label="Type the password",
        required=False,
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )
    force_change_password = forms.BooleanField(
        label="Make this user change the password when they first sign in",
        required=False,
        initial=True,
    )

    field_order = [
        "first_name",
        "last_name",
        "display_name",
        "alias",
        "domain",
        "usage_location",
        "roles",
        "licences",
        "password_choice",
        "password",
        "force_change_password",
        "ticket",
    ]

    def clean_display_name(self) -> str:
        # Without script nothing fills it in as the names are typed: the server does (below).
        return str(self.cleaned_data.get("display_name") or "").strip()

    def full_clean(self) -> None:
        # An empty display name is filled from first + last before "required" is checked.
        if self.is_bound and not str(self.data.get("display_name", "")).strip():
            data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict when bound
            first = str(data.get("first_name", "")).strip()
            last = str(data.get("last_name", "")).strip()
            data["display_name"] = f"{first} {last}".strip()
            self.data = data
        super().full_clean()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("password_choice") == TYPED:
            password = cleaned.get("password") or ""
            problem = "Type the password, or choose Generate." if not password else None
            problem = problem or password_problem(password)
            if problem:
                self.add_error("password", problem)
        else:
            cleaned["password"] = ""
        return cleaned


class UpdateUserForm(_UserFields):
    """The user page's Submit. Fields a role may not change are left out (`allowed`); the
    fingerprint of the user as loaded travels in a hidden field."""

    fingerprint = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, allowed: Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if allowed is not None:
            keep = set(allowed) | {"fingerprint", "ticket", "confirm_privileged"}
            for name in list(self.fields):
                if name not in keep:
                    del self.fields[name]
        style(self)

    def clean_display_name(self) -> str:
        return str(self.cleaned_data.get("display_name") or "").strip()


class ResetPasswordForm(StyledForm):
    """Reset password. Its one-time id (`form_id`, the call's MS-RequestId) is rendered by the
    template, so a form re-shown after an unconfirmed press can keep it."""

    prefix = "reset"  # it shares the user page with Submit's form (unique ids and names)

    form_id = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This form is out of date: open the user again and reset from there.",
            "invalid": "This form is out of date: open the user again and reset from there.",
        },
    )

    force_change_password = forms.BooleanField(
        label="Make this user change the password when they next sign in",
        required=False,
        initial=True,
    )
    ticket = TicketField()


class DeleteUserForm(StyledForm):
    ticket = TicketField()


class RestoreForm(StyledForm):
    """Restore: the checked deleted users (ids from the Deleted users tab)."""

    users = forms.MultipleChoiceField(
        required=True,
        error_messages={"required": "Select at least one deleted user to restore."},
    )
    ticket = TicketField()

    def __init__(self, *args: Any, user_ids: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "users", [(user_id, user_id) for user_id in user_ids])
        self.fields["users"].error_messages["invalid_choice"] = (
            "A selected user is no longer among the deleted users: refresh the list and try again."
        )


class SelectedActionForm(StyledForm):
    """An action on selected users: its ticket, the one-time id that makes a second send find
    the job the first made, the licenses to assign and remove (Manage licenses), and the typed
    count that confirms a large Delete."""

    form_token = forms.UUIDField(widget=forms.HiddenInput)
    assign = forms.MultipleChoiceField(
        label="Assign", required=False, widget=forms.CheckboxSelectMultiple
    )
    remove = forms.MultipleChoiceField(
        label="Remove", required=False, widget=forms.CheckboxSelectMultiple
    )
    confirm_count = forms.IntegerField(label="Type the number of users to delete", required=False)
    ticket = TicketField()

    def __init__(
        self,
        *args: Any,
        skus: Sequence[SkuRow] = (),
        licenses: bool = False,
        typed_count: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.typed_count = typed_count
        self.skus = sorted(skus, key=lambda sku: sku.name.casefold()) if licenses else []
        if licenses:
            _choices(self, "assign", [(sku.id, sku.name) for sku in self.skus])
            _choices(self, "remove", [(sku.id, sku.name) for sku in self.skus])
        else:
            del self.fields["assign"], self.fields["remove"]
        if typed_count is None:
            del self.fields["confirm_count"]
        else:
            self.fields[
                "confirm_count"
            ].help_text = f"Type {typed_count} to confirm that all {typed_count} users are deleted."

    def license_rows(self) -> list[dict[str, Any]]:
        """Each license with its seats and whether Assign or Remove is checked."""
        assign = set(self["assign"].value() or ()) if self.skus else set()
        remove = set(self["remove"].value() or ()) if self.skus else set()
        return [
            {
                "sku": sku,
                "seats": f"{sku.available} of {sku.total} available",
                "assign": sku.id in assign,
                "remove": sku.id in remove,
            }
            for sku in self.skus
        ]

    def clean_confirm_count(self) -> int | None:
        typed: int | None = self.cleaned_data.get("confirm_count")
        if self.typed_count is not None and typed != self.typed_count:
            raise forms.ValidationError(
                f"Type {self.typed_count}, the number of users to delete, to confirm."
            )
        return typed


class WhenForm(StyledForm):
    """Now, or at a date and time in a time zone (issue 20): a scheduled change. Sent with the
    action's own form; `cleaned_data["schedule"]` is None for now."""

    NOW: Final = "now"
    AT: Final = "at"

    when = forms.ChoiceField(
        label="When",
        choices=[(NOW, "Now"), (AT, "At a date and time")],
        initial=NOW,
        required=False,  # a form sent without it (a script, an old page) means now
        widget=forms.RadioSelect,
    )
    run_date = forms.DateField(
        label="Date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    run_time = forms.TimeField(
        label="Time", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    run_zone = forms.ChoiceField(label="Time zone", required=False)

    def __init__(self, *args: Any, locations: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["run_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = zone_choices(locations)
        field.initial = settings.TIME_ZONE

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["schedule"] = None
        if data.get("when") != self.AT:
            return data
        day, at, zone = data.get("run_date"), data.get("run_time"), data.get("run_zone")
        if day is None or at is None:
            raise forms.ValidationError("Choose the date and the time to do it at.")
        try:
            data["schedule"] = Schedule.at(
                datetime.combine(day, at.replace(second=0, microsecond=0)),
                zone or settings.TIME_ZONE,
            ).check()
        except ScheduleRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        return data

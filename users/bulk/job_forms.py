"""The forms of a bulk upload's Save step and of its job page.

Apart from `users/bulk/forms.py` (the Validate step's), which another step owns. They validate
and convert; the seat check itself is `bulk_job_create`'s, so a license too small for the upload
is refused there even when a crafted request ticks a disabled box.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.http import QueryDict
from django_countries import countries

from portal.tickets import TicketField
from users.bulk.jobs import LicenseOption

CHOOSE_A_LOCATION = "Choose the Location of the new users."


class BulkSaveForm(forms.Form):
    """Location (required) and licenses (optional) for every user of a draft, and the ticket."""

    draft = forms.UUIDField(widget=forms.HiddenInput)
    usage_location = forms.ChoiceField(
        label="Location",
        error_messages={"required": CHOOSE_A_LOCATION, "invalid_choice": CHOOSE_A_LOCATION},
    )
    skus = forms.MultipleChoiceField(
        label="Licenses",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "That license is not one of this customer's subscriptions."
        },
    )
    ticket = TicketField()

    def __init__(
        self, *args: Any, license_options: Sequence[LicenseOption] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        location = self.fields["usage_location"]
        assert isinstance(location, forms.ChoiceField)
        location.choices = [("", "Choose a location…"), *((code, name) for code, name in countries)]
        skus = self.fields["skus"]
        assert isinstance(skus, forms.MultipleChoiceField)
        # Every licence is a valid choice here, a short one included: bulk_job_create refuses it
        # with the sentence that says how many seats are left.
        skus.choices = [(option.sku_id, option.name) for option in license_options]


def license_choices(form: BulkSaveForm | None, options: list[Any]) -> list[dict[str, Any]]:
    """The license check boxes as the template draws them: checked ones kept after an error,
    one without a seat for every user disabled (the server refuses it anyway)."""
    checked: set[str] = set()
    if form is not None and form.is_bound and isinstance(form.data, QueryDict):
        checked = {value.lower() for value in form.data.getlist("skus")}
    return [
        {"option": option, "checked": option.sku_id.lower() in checked and option.enough}
        for option in options
    ]

"""The audit log's filters: a GET form, so a filtered log is a link that can be bookmarked."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from portal.audit.records import Action
from portal.audit.selectors import AuditFilter
from portal.models import AuditRecord
from portal.tickets import MAX_LENGTH as TICKET_MAX_LENGTH

MAX_TEXT = 200


def _text(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=MAX_TEXT, help_text=help_text)


class AuditFilterForm(forms.Form):
    """Validates the filters and converts them into an `AuditFilter`."""

    customer = _text("Customer", "Id or part of the name")
    user = _text("User", "Part of the username, or the id")
    staff = _text("Staff member")
    action = forms.ChoiceField(label="Action", required=False)
    ticket = forms.CharField(label="Ticket", required=False, max_length=TICKET_MAX_LENGTH)
    outcome = forms.ChoiceField(
        label="Outcome", required=False, choices=[("", "Any"), *AuditRecord.OUTCOMES]
    )
    date_from = forms.DateField(label="From", required=False)
    date_to = forms.DateField(label="To", required=False)

    def __init__(self, *args: Any, action_labels: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action_field = self.fields["action"]
        assert isinstance(action_field, forms.ChoiceField)
        action_field.choices = [("", "Any")] + [
            (action.value, action_labels.get(action, action.value)) for action in Action
        ]
        zone = timezone.get_default_timezone_name()
        for name in ("date_from", "date_to"):
            self.fields[name].help_text = f"A day in {zone}"
            self.fields[name].widget = forms.DateInput(attrs={"type": "date"})
        for name, field in self.fields.items():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if is_select else "form-control form-control-sm"
            )
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}-help"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end of the range comes before its start.")
        return cleaned

    def to_filter(self) -> AuditFilter:
        """The filters, once `is_valid()`; each text trimmed (Django's CharField does that)."""
        data = self.cleaned_data
        return AuditFilter(
            customer=data.get("customer", ""),
            user=data.get("user", ""),
            staff=data.get("staff", ""),
            action=data.get("action", ""),
            ticket=data.get("ticket", ""),
            outcome=data.get("outcome", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )

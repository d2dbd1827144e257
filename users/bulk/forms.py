"""The Upload users screen's form: the file to validate (Save's form is in job_forms.py)."""

from __future__ import annotations

from django import forms

CHOOSE_A_FILE = "Choose a CSV file (Browse), then select Validate."


class BulkUploadForm(forms.Form):
    # An empty file is the validation service's to refuse, with its own message.
    file = forms.FileField(
        label="CSV file",
        allow_empty_file=True,
        error_messages={"required": CHOOSE_A_FILE, "invalid": CHOOSE_A_FILE},
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

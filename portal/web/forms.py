"""How every form looks: Bootstrap's classes on its widgets, so templates render fields as they
are (`portal/field.html`), the same for the portal's forms and Django's own (sign-in, password
change)."""

from __future__ import annotations

from django import forms


def style(form: forms.Form) -> None:
    """Bootstrap's classes on every widget, so templates render fields as they are."""
    for bound in form.fields.values():
        widget = bound.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(
            widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput
        ):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = css

"""Small formatting filters the customer and user pages share."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django_countries import countries

register = template.Library()


@register.filter
def country_name(code: str | None) -> str:
    """`US` → `United States`; an unknown code is shown as it is, an empty one as nothing."""
    if not code:
        return ""
    return countries.name(code.upper()) or code


@register.filter
def age(moment: datetime | None) -> str:
    """How long ago `moment` was, for "Updated …": "less than a minute ago", "5 minutes ago"."""
    if moment is None:
        return "never"
    if timezone.now() - moment < timedelta(minutes=1):
        return "less than a minute ago"
    return f"{timesince(moment)} ago"


@register.simple_tag
def deleted_user_rows(lines: Iterable[Any], selectable: bool) -> str:
    """The Deleted users table's rows, written in one go: as template nodes, fifty rows cost
    more than the rest of the page, and the tab must cost the same for 1,500 deleted users as
    for five. `selectable` adds each row's check box (labelled by the display name) for Restore.
    """
    rows = []
    for line in lines:
        row = line.row
        name = row.display_name or row.user_principal_name
        (deleted_iso, deleted_text), (purge_iso, purge_text) = line.deleted, line.purge
        check = ""
        label = conditional_escape(name)
        if selectable:
            check = format_html(
                '<td class="check-column"><input type="checkbox" class="form-check-input" '
                'name="users" value="{}" form="restore-form" id="restore-{}"></td>',
                row.user_id,
                row.user_id,
            )
            label = format_html('<label for="restore-{}">{}</label>', row.user_id, name)
        last = mark_safe(" <strong>(the last day)</strong>") if line.days_left == 1 else ""
        rows.append(
            format_html(
                "<tr>{}<td>{}</td><td>{}</td>"
                '<td><time datetime="{}">{}</time></td><td><time datetime="{}">{}</time></td>'
                "<td>{}{}</td></tr>",
                check,
                label,
                row.user_principal_name,
                deleted_iso,
                deleted_text,
                purge_iso,
                purge_text,
                line.days_left,
                last,
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (each row built by format_html)

"""Small formatting filters the customer and user pages share."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING

from django import template
from django.utils import dateformat, timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django_countries import countries

from customers.pages import customer_url, user_url
from customers.services import DeletedLine, shown_time

if TYPE_CHECKING:
    from customers.directory.models import DirectoryUser
    from customers.users_list import Choice, UserLine

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
def filter_options(choices: Iterable[Choice], chosen: str) -> str:
    """A list filter's options after its "All": the chosen one selected. Written in one go, as
    the rows are: three filters' options as template nodes cost a fifth of the page."""
    options = []
    for choice in choices:
        value = escape(choice.value)
        selected = " selected" if choice.value == chosen else ""
        options.append(f'<option value="{value}"{selected}>{escape(choice.label)}</option>')
    return mark_safe("".join(options))  # noqa: S308 (every value escaped above)


@register.simple_tag
def user_rows(lines: Iterable[UserLine], selectable: bool = False) -> str:
    """The Users and licenses table's rows, written in one go (see `deleted_user_rows`: as
    template nodes, fifty rows cost more than the rest of the page). Every value is escaped.
    `selectable` adds each row's check box (for the selection form, labelled by the name)."""
    rows = []
    for line in lines:
        quiet = "" if line.licenses_known and line.licenses else ' class="text-secondary"'
        name = escape(line.name)
        check = (
            '<td class="check-column"><input type="checkbox" class="form-check-input" '
            f'name="users" value="{escape(line.user_id)}" form="users-selection" '
            f'aria-label="Select {name}"></td>'
            if selectable
            else ""
        )
        rows.append(
            f'<tr>{check}<td><a href="{escape(line.url)}">{name}</a></td>'
            f"<td>{escape(line.username)}</td><td>{escape(line.location)}</td>"
            f"<td>{escape(line.roles)}</td><td{quiet}>{escape(line.licenses or 'None')}</td></tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (every value escaped above)


@register.simple_tag
def deleted_user_rows(lines: Iterable[DeletedLine], selectable: bool) -> str:
    """The Deleted users table's rows, written in one go: as template nodes, fifty rows cost
    more than the rest of the page, and the tab must cost the same for 1,500 deleted users as
    for five. `selectable` adds each row's check box (labelled by the display name) for Restore.

    Every value is escaped here (`html.escape`: they are plain text from the directory, never
    safe strings), which is what Django's format_html would do at several times the cost.
    """
    zone = timezone.get_current_timezone()
    rows = []
    for line in lines:
        row = line.row
        user_id = escape(row.user_id)
        name = escape(row.display_name or row.user_principal_name)
        deleted_iso, deleted_text = shown_time(line.deleted_at, zone)
        purge_iso, purge_text = shown_time(line.purge_at, zone)
        check, label = "", name
        if selectable:
            check = (
                '<td class="check-column"><input type="checkbox" class="form-check-input" '
                f'name="users" value="{user_id}" form="restore-form" id="restore-{user_id}"></td>'
            )
            label = f'<label for="restore-{user_id}">{name}</label>'
        last = " <strong>(the last day)</strong>" if line.days_left == 1 else ""
        rows.append(
            f"<tr>{check}<td>{label}</td><td>{escape(row.user_principal_name)}</td>"
            f'<td><time datetime="{escape(deleted_iso)}">{escape(deleted_text)}</time></td>'
            f'<td><time datetime="{escape(purge_iso)}">{escape(purge_text)}</time></td>'
            f"<td>{int(line.days_left)}{last}</td></tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (every value escaped above)


@register.filter
def users_link(tenant_id: str) -> str:
    """A customer's Users and licenses page: `{{ customer.tenant_id|users_link }}`."""
    return customer_url("customers:users", tenant_id)


@register.simple_tag
def found_user_rows(users: Iterable[DirectoryUser]) -> str:
    """The dashboard search's users (read with their customers), written in one go as the
    users list's rows are: fifty rows of {% url %} tags cost two thirds of the page. An active
    user links to its page, a deleted one to its customer's Deleted users tab searched for it.
    Every value is escaped."""
    rows = []
    for user in users:
        customer = user.customer
        name = escape(user.display_name)
        if user.state == user.ACTIVE:
            name = f'<a href="{escape(user_url(customer.tenant_id, user.user_id))}">{name}</a>'
            state = "Active"
        else:
            search = urlencode({"q": user.user_principal_name})
            deleted = customer_url("customers:deleted", customer.tenant_id)
            moment = user.deleted_at
            when = dateformat.format(timezone.localtime(moment), "j M Y") if moment else ""
            state = f'<a href="{escape(deleted)}?{escape(search)}">Deleted</a> {escape(when)}'
        rows.append(
            f"<tr><td>{name}</td><td>{escape(user.user_principal_name)}</td>"
            f'<td><a href="{escape(users_link(customer.tenant_id))}">'
            f"{escape(customer.company_name)}</a></td>"
            f"<td>{state}</td><td>{escape(age(customer.synced_at))}</td></tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (every value escaped above)

"""Ticket references: the field, the pre-filling link and the link to the ticket system."""

from __future__ import annotations

import pytest
from django import forms
from django.test import RequestFactory
from pytest_django.fixtures import Settings

from portal.tickets import TicketField, ticket_from_link, ticket_url


class TicketForm(forms.Form):
    ticket = TicketField()


@pytest.mark.parametrize("ticket", ["INC-1234", "INC0012345", "#5521", "SR:123/4", ""])
def test_common_ticket_ids_are_accepted(ticket: str) -> None:
    form = TicketForm({"ticket": f"  {ticket} "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["ticket"] == ticket


@pytest.mark.parametrize("ticket", ["INC 1234", "<script>", "'; drop", "x" * 65])
def test_other_text_is_refused_with_a_clear_message(ticket: str) -> None:
    form = TicketForm({"ticket": ticket})
    assert not form.is_valid()
    message = form.errors["ticket"][0]  # an ErrorList hands out each error's message
    assert isinstance(message, str)
    assert message.startswith(("A ticket reference is", "Ensure this value"))


def test_a_setting_makes_the_ticket_required(settings: Settings) -> None:
    settings.PORTAL_TICKET_REQUIRED = True

    class RequiredTicketForm(forms.Form):
        ticket = TicketField()

    assert not RequiredTicketForm({"ticket": ""}).is_valid()


def test_a_link_prefills_only_a_valid_ticket() -> None:
    assert ticket_from_link(RequestFactory().get("/?ticket=INC-1234")) == "INC-1234"
    assert ticket_from_link(RequestFactory().get("/?ticket=<b>")) == ""
    assert ticket_from_link(RequestFactory().get("/")) == ""


def test_ticket_ids_become_links_when_a_template_is_set(settings: Settings) -> None:
    assert ticket_url("INC-1") is None
    settings.PORTAL_TICKET_URL_TEMPLATE = "https://support.example.com/t/{ticket}"
    assert ticket_url("SR:1/2") == "https://support.example.com/t/SR%3A1%2F2"
    assert ticket_url("") is None

"""Sign in, sign out, signed-out requests (plain and htmx), and the strict CSP on every page."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponseBase
from django.test import Client

from tests.conftest import STAFF_PASSWORD

# Pages that a signed-in member lands on (the dashboard, the customers list) read the sandbox.
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/customers/?q=contoso"}


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_the_sign_in_page_has_a_labelled_form(client: Client) -> None:
    response = client.get("/sign-in/")
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'<label\s+for="id_username"', page)
    assert re.search(r'<label\s+for="id_password"', page)
    assert 'action="/sign-in/"' in page
    assert 'name="csrfmiddlewaretoken"' in page


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_signing_in_lands_on_the_dashboard(client: Client, admin_agent: User) -> None:
    response = client.post(
        "/sign-in/", {"username": "amara", "password": STAFF_PASSWORD}, follow=True
    )
    assert response.redirect_chain == [("/", 302)]
    page = response.content.decode()
    assert "Amara Okafor" in page
    assert "Admin agent" in page


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_signing_in_goes_on_to_the_page_asked_for(client: Client, sales_agent: User) -> None:
    response = client.post(
        "/sign-in/?next=/customers/", {"username": "sofia", "password": STAFF_PASSWORD}
    )
    assert response["Location"] == "/customers/"


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_signing_in_never_goes_to_another_site(client: Client, sales_agent: User) -> None:
    response = client.post(
        "/sign-in/",
        {"username": "sofia", "password": STAFF_PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_a_wrong_password_is_refused_with_a_message(client: Client, admin_agent: User) -> None:
    response = client.post("/sign-in/", {"username": "amara", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_a_signed_in_visitor_skips_the_sign_in_page(client: Client, admin_agent: User) -> None:
    client.force_login(admin_agent)
    assert client.get("/sign-in/")["Location"] == "/"


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_signing_out_is_a_post_and_says_so(client: Client, admin_agent: User) -> None:
    client.force_login(admin_agent)
    assert client.get("/sign-out/").status_code == 405
    response = client.post("/sign-out/", follow=True)
    assert response.redirect_chain == [("/sign-in/", 302)]
    assert "You have signed out." in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_every_page_offers_sign_out_as_a_post_form(client: Client, admin_agent: User) -> None:
    client.force_login(admin_agent)
    page = client.get("/").content.decode()
    assert re.search(r'<form method="post" action="/sign-out/"', page)


@pytest.mark.django_db(databases=["default", "sandbox"])
@pytest.mark.parametrize("url", ["/", "/customers/?q=contoso", "/audit/"])
def test_an_anonymous_visitor_is_sent_to_sign_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/?next=")


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_an_anonymous_htmx_request_gets_a_full_page_redirect_to_sign_in(client: Client) -> None:
    response = client.get("/", headers=HTMX)
    # 200 + HX-Redirect: htmx loads the sign-in page as a whole page instead of swapping it
    # into the fragment that asked; `next` is the page the browser was on.
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/sign-in/?next=/customers/%3Fq%3Dcontoso"
    assert "Location" not in response
    assert response.content == b""


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_an_htmx_post_from_an_expired_session_also_gets_hx_redirect(client: Client) -> None:
    response = client.post("/", headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/sign-in/?next=")


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_an_htmx_request_from_a_signed_in_member_is_left_alone(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    response = client.get("/", headers=HTMX)
    assert response.status_code == 200
    assert "HX-Redirect" not in response


# --- Strict CSP and the htmx set-up ---------------------------------------------------------


def _csp(response: HttpResponseBase) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(
        [*part.split(" ", 1), ""][:2] for part in (p.strip() for p in header.split(";")) if part
    )


@pytest.mark.django_db(databases=["default", "sandbox"])
@pytest.mark.parametrize("url", ["/sign-in/", "/", "/customers/", "/audit/", "/nowhere/"])
def test_every_page_has_a_strict_csp(client: Client, admin_agent: User, url: str) -> None:
    client.force_login(admin_agent)
    response = client.get(url)
    policy = _csp(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    for directive in ("script-src", "style-src"):
        assert "unsafe-inline" not in policy[directive]
        assert "unsafe-eval" not in policy[directive]


@pytest.mark.django_db(databases=["default", "sandbox"])
@pytest.mark.parametrize("url", ["/sign-in/", "/", "/customers/", "/audit/", "/nowhere/"])
def test_pages_carry_no_inline_script_or_style(client: Client, admin_agent: User, url: str) -> None:
    if url != "/sign-in/":
        client.force_login(admin_agent)
    page = client.get(url).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag, tag
    assert not re.search(r"<script\b[^>]*>(?!</script>)", page), "inline script body"
    assert "<style" not in page
    assert not re.search(r"\sstyle=", page)
    assert not re.search(r"\shx-on", page), "hx-on needs eval, which the CSP forbids"


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_htmx_is_configured_for_the_csp_and_sends_the_csrf_token(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    page = client.get("/").content.decode()
    config_meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert config_meta, "the page configures htmx"
    config = json.loads(config_meta[1])
    assert config["allowEval"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["historyCacheSize"] == 0
    body = re.search(r"<body class=\"[^\"]*\" hx-headers='([^']*)'>", page)
    assert body, "the body gives htmx the headers to send"
    headers = json.loads(body[1])
    assert headers["X-CSRFToken"]
    assert "/static/django_htmx/htmx-2.min.js" in page
    assert page.count('id="modal"') == 1


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_the_skip_link_leads_to_the_main_landmark(client: Client, admin_agent: User) -> None:
    client.force_login(admin_agent)
    page = client.get("/").content.decode()
    assert '<a class="skip-link" href="#main">' in page
    assert '<main id="main"' in page

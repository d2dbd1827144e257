"""Upload users through the views: the template, Validate, the file back annotated, the draft's
Location step, roles, htmx — against the seeded sandbox, nothing written to Partner Center."""

from __future__ import annotations

import csv
import io
import logging
import re

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from customers.directory.customer_queries import customer_get, domains_of
from customers.directory.models import DirectoryCustomer, DirectoryUser
from customers.directory.user_queries import users_of
from portal.models import AuditRecord
from portal.sandbox import seed_plan
from tests.conftest import _staff, downloaded
from tests.users.bulk_jobs_support import no_worker  # noqa: F401 (fixture)
from tests.users.bulk_support import HEADER, csv_data, fixture_bytes
from users.bulk import reading, rules
from users.bulk.forms import CHOOSE_A_FILE
from users.bulk.models import BulkJob
from users.bulk.rules import MARKER
from users.bulk.views import NOT_KEPT, STILL_READING
from users.models import BulkDraft
from users.usernames import UsernameProblem

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("seeded_sandbox", "no_worker"),
]

CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
TAILSPIN = str(seed_plan.LARGE_CUSTOMER_ID)
ADATUM = str(seed_plan.NO_ACCESS_CUSTOMER_ID)
DOMAIN = seed_plan.CUSTOM_DOMAIN
HTMX = {"HX-Request": "true", "HX-Target": "bulk-upload"}


class Writes:
    """Every Partner Center call that would change something (the sandbox logs each call)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog
        caplog.set_level(logging.DEBUG, logger="portal.sandbox")

    def __call__(self) -> list[str]:
        return [
            record.getMessage()
            for record in self._caplog.records
            if record.name == "portal.sandbox"
            and re.match(r"sandbox (POST|PATCH|PUT|DELETE) ", record.getMessage())
        ]

    def reads(self) -> int:
        return sum(1 for record in self._caplog.records if record.name == "portal.sandbox")


@pytest.fixture
def writes(caplog: pytest.LogCaptureFixture) -> Writes:
    return Writes(caplog)


def upload_url(customer_id: str = CONTOSO) -> str:
    return f"/customers/{customer_id}/upload/"


def upload(
    client: Client,
    data: bytes,
    name: str = "users.csv",
    customer_id: str = CONTOSO,
    **headers: str,
) -> str:
    response = client.post(
        upload_url(customer_id), {"file": SimpleUploadedFile(name, data)}, headers=headers
    )
    assert response.status_code == 200
    return response.content.decode()


def annotated_url(page: str) -> str:
    match = re.search(
        r'<form method="post" action="(/customers/[^"]+/upload/annotated/[^"]+/)"', page
    )
    assert match, "no download of the file with its errors"
    return match.group(1)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def contoso() -> DirectoryCustomer:
    customer = customer_get(CONTOSO)
    assert customer is not None and customer.mirrored
    return customer


def contoso_domains() -> str:
    return ", ".join(domains_of(contoso()))


def plain(html: str) -> str:
    """The page's text with tags removed and entities for quotes undone, for message checks."""
    text = re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").replace("&quot;", '"')
    return re.sub(r"\s+", " ", text.replace("&amp;", "&"))


GOOD = csv_data(
    HEADER,
    f"Maria,Schmidt,Maria Schmidt,maria.schmidt@{DOMAIN},",
    f"Zoë,Ng,Zoë Ng,zoe.ng@{DOMAIN.upper()},",
)


# --- The button, the page, the template -------------------------------------------------------


def test_admin_agents_see_upload_users_on_the_users_page(client: Client, admin_agent: User) -> None:
    client.force_login(admin_agent)
    page = client.get(f"/customers/{CONTOSO}/").content.decode()
    assert f'<a class="command" href="/customers/{CONTOSO}/upload/">' in page
    assert "Upload users</a>" in page


@pytest.mark.parametrize("role", ["helpdesk_agent", "sales_agent"])
def test_other_roles_see_no_upload_button(
    client: Client, role: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(role))
    page = client.get(f"/customers/{CONTOSO}/").content.decode()
    assert "Users and licenses" in page
    assert "/upload/" not in page
    assert "Upload users" not in page


def test_the_upload_page_offers_the_template_and_a_multipart_form_with_csrf(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    response = client.get(upload_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Upload users</h1>" in page
    assert f'<a href="/customers/{CONTOSO}/">Contoso Ltd</a>' in page  # breadcrumbs
    assert f'href="/customers/{CONTOSO}/upload/template/" download' in page
    form = re.search(r"<form method=\"post\" enctype=\"multipart/form-data\"[^>]*>", page)
    assert form, "Validate posts the file as multipart"
    assert f'action="/customers/{CONTOSO}/upload/#bulk-results"' in form.group(0)
    assert 'name="csrfmiddlewaretoken"' in page
    assert '<input type="file" name="file" id="bulk-file-input" accept=".csv,text/csv"' in page
    assert '<button type="submit" class="btn btn-primary">Validate</button>' in page
    assert f"at one of Contoso Ltd's domains: {contoso_domains()}" in page
    assert "Next: Location and Save" not in page


def test_the_template_downloads_as_an_attachment_with_the_five_columns_and_a_bom(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    response = client.get(f"/customers/{CONTOSO}/upload/template/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="upload-users-template.csv"'
    assert response["Cache-Control"] == "no-store"
    assert read_csv(downloaded(response)) == [
        ["First name", "Last name", "Display name", "Email", "Status update"]
    ]


# --- Roles ----------------------------------------------------------------------------------


def bulk_requests(customer_id: str = CONTOSO) -> list[tuple[str, str, dict[str, object]]]:
    return [
        ("get", upload_url(customer_id), {}),
        ("post", upload_url(customer_id), {"file": SimpleUploadedFile("u.csv", GOOD)}),
        ("get", f"/customers/{customer_id}/upload/template/", {}),
        ("post", f"/customers/{customer_id}/upload/annotated/abc/", {}),
    ]


@pytest.mark.parametrize("role", ["helpdesk_agent", "sales_agent", "no_role_staff"])
def test_every_bulk_url_is_403_for_anyone_but_an_admin_agent(
    client: Client, role: str, request: pytest.FixtureRequest, writes: Writes
) -> None:
    client.force_login(request.getfixturevalue(role))
    for method, url, data in bulk_requests():
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url)
    assert not BulkDraft.objects.exists()
    assert writes() == []


def test_a_staff_member_without_a_role_is_told_whom_to_ask(
    client: Client, no_role_staff: User
) -> None:
    client.force_login(no_role_staff)
    response = client.get(upload_url())
    assert response.status_code == 403
    assert "Ask a superuser to give you a role" in response.content.decode()


def test_signed_out_every_bulk_url_leads_to_sign_in(client: Client) -> None:
    for method, url, data in bulk_requests():
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith("/sign-in/?next=")
    assert not BulkDraft.objects.exists()


def test_a_superuser_may_upload(client: Client, superuser: User) -> None:
    client.force_login(superuser)
    assert "ready to create" in upload(client, GOOD)


def test_validate_checks_the_csrf_token(client: Client, admin_agent: User) -> None:
    # The view reads the upload through its own handler, so it checks CSRF itself: prove it does.
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(admin_agent)
    page = csrf_client.get(upload_url()).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    without = csrf_client.post(upload_url(), {"file": SimpleUploadedFile("u.csv", GOOD)})
    assert without.status_code == 403
    assert not BulkDraft.objects.exists()
    with_token = csrf_client.post(
        upload_url(),
        {"file": SimpleUploadedFile("u.csv", GOOD), "csrfmiddlewaretoken": token.group(1)},
    )
    assert with_token.status_code == 200
    assert BulkDraft.objects.count() == 1


# --- A good file: a draft and the Location step -----------------------------------------------


def test_a_good_file_becomes_a_draft_and_the_page_offers_location_and_save(
    client: Client, admin_agent: User, writes: Writes
) -> None:
    client.force_login(admin_agent)
    page = upload(client, GOOD, name="C:\\Users\\amara\\new staff.csv")
    draft = BulkDraft.objects.get()
    assert draft.created_by == admin_agent
    assert draft.customer_id == CONTOSO
    assert draft.file_name == "new staff.csv"
    assert [row["email"] for row in draft.rows] == [
        f"maria.schmidt@{DOMAIN}",
        f"zoe.ng@{DOMAIN.upper()}",
    ]
    text = plain(page)
    assert "Validation of new staff.csv" in text
    assert "2 users ready to create" in text
    assert "Users 2 Ready 2 With errors 0 Errors 0 Warnings 0" in text.replace("</dd>", "")
    assert "Read as UTF-8, columns separated by commas (,)." in text
    assert "Next: Location and Save" in page
    save = re.search(r'<form method="post" action="([^"]+)" class="bulk-save-form"', page)
    assert save and save.group(1) == f"/customers/{CONTOSO}/upload/save/"
    assert f'<input type="hidden" name="draft" value="{draft.public_id}">' in page
    assert '<select name="usage_location" id="bulk-location" class="form-select" required' in page
    assert '<option value="DE">Germany</option>' in page
    assert '<legend class="form-label">Licenses' in page  # the Save step's own fields
    assert 'name="ticket"' in page
    assert '<button type="submit" class="btn btn-primary">Save</button>' in page
    assert "/upload/annotated/" not in page  # nothing to give back
    assert "Zoë Ng" in page
    assert writes() == []


def test_a_warning_does_not_stop_the_file_and_is_shown_apart_from_errors(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    client.get(upload_url())  # reads the customer into the directory
    active = set(users_of(contoso()).values_list("upn_key", flat=True))
    deleted = next(
        row for row in users_of(contoso(), state=DirectoryUser.DELETED) if row.upn_key not in active
    )
    data = csv_data(HEADER, f"Again,Here,Again Here,{deleted.user_principal_name},")
    page = upload(client, data)
    assert BulkDraft.objects.count() == 1
    assert "Next: Location and Save" in page
    cell = re.search(r'<td class="cell-warning" aria-describedby="([^"]+)">(.*?)</td>', page, re.S)
    assert cell, "the Email cell is marked as having a warning"
    assert cell.group(1) == "row-2-col-4-warning-1"
    assert f'<span class="cell-value">{deleted.user_principal_name}</span>' in cell.group(2)
    warning = '<p id="row-2-col-4-warning-1" class="cell-message cell-message-warning">'
    assert warning in cell.group(2)
    assert "<strong>Warning:</strong>" in cell.group(2)
    assert "icon-warning" in cell.group(2)
    assert "cell-error" not in page
    assert "can no longer be restored under this username" in plain(cell.group(2))
    assert "Download the file with its warnings" in page
    annotated = read_csv(downloaded(client.post(annotated_url(page))))
    assert annotated[1][4].startswith(f"{MARKER} Warning: Email '{deleted.user_principal_name}'")


def test_the_summary_says_how_a_european_excel_file_was_read(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    data = (
        "First name;Last name;Display name;Email;Status update\r\n"
        f"Jürgen;Groß;Jürgen Groß;juergen.gross@{DOMAIN};\r\n"
    ).encode("cp1252")
    page = plain(upload(client, data))
    assert "1 user ready to create" in page
    assert "Read as Windows-1252, columns separated by semicolons (;)." in page
    assert reading.CP1252_NOTE in page
    assert reading.SEMICOLON_NOTE in page
    assert "Jürgen Groß" in page


# --- A bad file: no draft, errors next to their cells, the file back annotated ----------------


def test_a_bad_file_makes_no_draft_and_shows_each_error_next_to_its_cell(
    client: Client, admin_agent: User, writes: Writes
) -> None:
    client.force_login(admin_agent)
    page = upload(client, fixture_bytes("mixed-errors.csv", DOMAIN), name="mixed-errors.csv")
    assert not BulkDraft.objects.exists()
    assert "Next: Location and Save" not in page
    assert "/upload/save/" not in page
    text = plain(page)
    assert "4 of 5 users have errors" in text
    assert "Nothing was written to Partner Center." in text
    assert "Users 5 Ready 1 With errors 4 Errors 4 Warnings 0" in text

    def cell(row: int, column: int) -> str:
        match = re.search(
            rf'<td class="cell-error" aria-describedby="row-{row}-col-{column}-error-1">(.*?)</td>',
            page,
            re.S,
        )
        assert match, f"row {row}, column {column} is not marked as an error"
        return plain(match.group(1))

    assert cell(3, 4) == (
        f" TOM.BAKER@{DOMAIN} Error: "
        + rules.DUPLICATE_EMAIL.format(email=f"TOM.BAKER@{DOMAIN}", first=2)
        + " "
    )
    assert "Error: " + rules.DISPLAY_NAME_REQUIRED in cell(4, 3)
    assert "(empty)" in cell(4, 3)
    domains = contoso_domains()
    assert cell(5, 4).endswith(
        UsernameProblem("domain", found=domains).message("Email 'lee.wong@elsewhere.example'") + " "
    )
    assert "Error: " + rules.STATUS_NOT_EMPTY.format(value="Done") in cell(6, 5)
    # The good row has no mark; every marked row says so in words, not only in colour.
    assert re.search(r'<tr id="row-2" class="">', page)
    assert page.count('<span class="visually-hidden"> (has errors)</span>') == 4
    assert "Download the file with its errors" in page
    assert writes() == []


def test_the_file_comes_back_with_the_exact_messages_behind_the_marker(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    page = upload(client, fixture_bytes("mixed-errors.csv", DOMAIN), name="mixed-errors.csv")
    response = client.post(annotated_url(page))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="mixed-errors-checked.csv"'
    assert response["Cache-Control"] == "no-store"
    [audited] = AuditRecord.objects.filter(action="bulk_annotated_export")
    assert (audited.staff, audited.changes["file"], audited.changes["errors"]) == (
        admin_agent,
        "mixed-errors.csv",
        4,
    )
    rows = read_csv(downloaded(response))
    domains = contoso_domains()
    assert rows == [
        ["First name", "Last name", "Display name", "Email", "Status update"],
        ["Tom", "Baker", "Tom Baker", f"tom.baker@{DOMAIN}", ""],
        [
            "Tom",
            "Baker",
            "Tom Baker (2)",
            f"TOM.BAKER@{DOMAIN}",
            f"{MARKER} Error: "
            + rules.DUPLICATE_EMAIL.format(email=f"TOM.BAKER@{DOMAIN}", first=2),
        ],
        ["Sam", "", "", f"sam@{DOMAIN}", f"{MARKER} Error: {rules.DISPLAY_NAME_REQUIRED}"],
        [
            "Lee",
            "Wong",
            "Lee Wong",
            "lee.wong@elsewhere.example",
            f"{MARKER} Error: "
            + UsernameProblem("domain", found=domains).message(
                "Email 'lee.wong@elsewhere.example'"
            ),
        ],
        [
            "Kai",
            "Moe",
            "Kai Moe",
            f"kai.moe@{DOMAIN}",
            f"{MARKER} Error: " + rules.STATUS_NOT_EMPTY.format(value="Done"),
        ],
    ]


def test_a_row_with_extra_cells_gets_its_error_under_the_row(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    data = csv_data(HEADER, f"Ann,Lee,Ann Lee,ann.lee@{DOMAIN},,surprise")
    page = upload(client, data)
    assert '<th scope="row" aria-describedby="row-2-error-1">' in page
    message = re.search(
        r'<p id="row-2-error-1" class="cell-message cell-message-error">(.*?)</p>', page, re.S
    )
    assert message
    assert plain(message.group(1)).strip() == "Error in row 2: " + rules.EXTRA_CELLS.format(
        found="'surprise' in column 6"
    )


def test_a_formula_in_a_cell_comes_back_formula_safe(client: Client, admin_agent: User) -> None:
    client.force_login(admin_agent)
    data = csv_data(HEADER, f'=HYPERLINK("x"),-1,,bad@{DOMAIN},')
    page = upload(client, data)
    response = client.post(annotated_url(page))
    assert (
        downloaded(response)
        .decode("utf-8-sig")
        .splitlines()[1]
        .startswith('"\'=HYPERLINK(""x"")",\'-1,,')
    )


# --- The round trip -------------------------------------------------------------------------


def test_a_faulty_file_downloaded_back_fixed_in_one_cell_and_uploaded_as_it_is_passes(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    faulty = csv_data(
        HEADER,
        f"Maria,Schmidt,Maria Schmidt,maria.schmidt@{DOMAIN},",
        f"Sam,Stone,,sam.stone@{DOMAIN},",
        f"Ola,Berg,Ola Berg,ola.berg@{DOMAIN},",
    )
    first = upload(client, faulty, name="new-staff.csv")
    assert not BulkDraft.objects.exists()
    rows = read_csv(downloaded(client.post(annotated_url(first))))
    assert rows[2][4] == f"{MARKER} Error: {rules.DISPLAY_NAME_REQUIRED}"

    rows[2][2] = "Sam Stone"  # the one fix, as made in Excel; the annotation stays
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    fixed = buffer.getvalue().encode("utf-8-sig")

    second = upload(client, fixed, name="new-staff-checked.csv")
    assert "3 users ready to create" in plain(second)
    assert "An earlier note from the portal (ignored)" in second
    draft = BulkDraft.objects.get()
    assert [row["display_name"] for row in draft.rows] == ["Maria Schmidt", "Sam Stone", "Ola Berg"]
    assert "Next: Location and Save" in second


# --- Refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", reading.EMPTY),
        ("blank-lines-only.csv", reading.EMPTY),
        ("header-only.csv", reading.HEADER_ONLY),
        ("workbook.xlsx", reading.XLSX),
        ("workbook.xls", reading.XLS),
        ("unicode-text.txt", reading.UTF16),
        ("picture.png", reading.BINARY),
        ("tab-delimited.txt", reading.TABS),
    ],
)
def test_a_refused_file_says_what_to_do_and_makes_nothing(
    client: Client, admin_agent: User, name: str, message: str
) -> None:
    client.force_login(admin_agent)
    page = upload(client, fixture_bytes(name, DOMAIN), name=name)
    alert = re.search(
        r'<div class="alert alert-danger bulk-outcome bulk-file-errors" role="alert">'
        r"(.*?)</div>",
        page,
        re.S,
    )
    assert alert, "the refusal is the prominent alert"
    assert "This file cannot be read" in alert.group(1)
    assert f"<li>{message}</li>" in plain_quotes(alert.group(1))
    assert "Download the CSV template" in alert.group(1)
    assert "<table" not in page
    assert "/upload/annotated/" not in page  # nothing readable to give back
    assert not BulkDraft.objects.exists()


def plain_quotes(html: str) -> str:
    return html.replace("&#x27;", "'").replace("&quot;", '"').replace("&gt;", ">")


def test_a_file_over_1_mb_is_refused_with_its_real_size_without_being_read_whole(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    line = f"Someone,Else,Someone Else,someone@{DOMAIN},\r\n"
    big = (HEADER + "\r\n" + line * (5 * 1024 * 1024 // len(line))).encode()
    assert len(big) > 5 * 1024 * 1024 - 100
    page = upload(client, big, name="everyone.csv")
    message = reading.TOO_BIG.format(size=f"{len(big) / reading.MAX_FILE_BYTES:.1f} MB")
    assert "The file is 5.0 MB, over the 1 MB limit." in message
    assert f"<li>{message}</li>" in plain_quotes(page)
    assert not BulkDraft.objects.exists()


def test_the_upload_handler_keeps_no_more_than_the_limit_and_one_byte() -> None:
    from users.bulk.uploads import BoundedUploadHandler

    handler = BoundedUploadHandler(None, limit=10)
    handler.new_file("file", "a.csv", "text/csv", None)
    for chunk in (b"12345678", b"90abcdef", b"ghij"):
        assert handler.receive_data_chunk(chunk, 0) is None
    kept = handler.file_complete(20)
    assert kept is not None
    assert kept.size == 20
    assert kept.read() == b"1234567890a"


def test_the_upload_handler_bounds_the_whole_request_not_only_each_file() -> None:
    from django.core.files.uploadhandler import StopUpload

    from users.bulk.uploads import BoundedUploadHandler

    handler = BoundedUploadHandler(None, limit=10, request_limit=30)
    handler.new_file("file", "a.csv", "text/csv", None)
    handler.receive_data_chunk(b"x" * 12, 0)
    assert handler.file_complete(12) is not None
    handler.new_file("file2", "b.csv", "text/csv", None)
    handler.receive_data_chunk(b"y" * 12, 0)
    assert handler.file_complete(12) is None  # a second file is counted, never kept
    handler.new_file("file3", "c.csv", "text/csv", None)
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"z" * 12, 0)
    assert handler.request_too_big


def test_several_files_in_one_request_are_refused_by_their_sum(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    part = csv_data(HEADER, f"A,B,A B,a@{DOMAIN},") + b"#" * (900 * 1024)
    files = {
        f"file{n}": SimpleUploadedFile(f"users{n}.csv", part, content_type="text/csv")
        for n in range(3)
    }
    files["file"] = SimpleUploadedFile("users.csv", part, content_type="text/csv")
    page = client.post(upload_url(), files).content.decode()
    assert "over the 1 MB limit" in page
    assert not BulkDraft.objects.exists()


def test_a_request_announcing_more_than_20_mb_is_answered_without_reading_it(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    response = client.generic(
        "POST",
        upload_url(),
        b"never read",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "The file is 200.0 MB, over the 1 MB limit." in plain_quotes(response.content.decode())


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        (
            csv_data("First name,Last name,Email,Status update", f"A,B,a@{DOMAIN},"),
            [rules.MISSING_COLUMN.format(names="'Display name'")],
        ),
        (
            csv_data(HEADER + ",Phone", f"A,B,A B,a@{DOMAIN},,555"),
            [rules.UNKNOWN_COLUMN.format(name="Phone", position=6)],
        ),
    ],
)
def test_wrong_columns_are_named_and_the_rows_still_listed(
    client: Client, admin_agent: User, data: bytes, messages: list[str]
) -> None:
    client.force_login(admin_agent)
    page = upload(client, data)
    assert "This file cannot be uploaded as it is" in page
    for message in messages:
        assert f"<li>{message}</li>" in plain_quotes(page)
    assert "<table" in page  # the rows as read, under the file's own column names
    assert "/upload/annotated/" in page
    assert not BulkDraft.objects.exists()


def test_over_100_users_is_refused_by_its_count_and_no_row_is_shown(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    page = upload(client, fixture_bytes("101-users.csv", DOMAIN), name="101-users.csv")
    assert f"<li>{reading.TOO_MANY_USERS.format(count=101)}</li>" in page
    assert page.count('<tr id="row-') == 0
    assert not BulkDraft.objects.exists()


def test_a_megabyte_of_rows_is_refused_with_a_small_page(client: Client, admin_agent: User) -> None:
    """209,703 rows in 1 MB once built a 517 MB page; now the count is all it costs."""
    client.force_login(admin_agent)
    data = "First name,Last name,Display name,Email,Status update\r\n" + "a,b\r\n" * 209_703
    response = client.post(
        upload_url(), {"file": SimpleUploadedFile("big.csv", data.encode()[: 1024 * 1024])}
    )
    page = response.content.decode()
    assert "The file has 209,703 users; an upload takes at most 100." in page
    assert page.count('<tr id="row-') == 0
    assert len(response.content) < 100_000


def test_100_users_is_fine(client: Client, admin_agent: User) -> None:
    client.force_login(admin_agent)
    page = upload(client, fixture_bytes("100-users.csv", DOMAIN), name="100-users.csv")
    assert "100 users ready to create" in plain(page)
    assert len(BulkDraft.objects.get().rows) == 100


def test_validate_without_a_file_asks_for_one(client: Client, admin_agent: User) -> None:
    client.force_login(admin_agent)
    response = client.post(upload_url(), {})
    assert response.status_code == 200
    page = response.content.decode()
    error = f'<p id="bulk-file-error" class="invalid-feedback bulk-field-error">{CHOOSE_A_FILE}</p>'
    assert error in page
    assert 'aria-invalid="true"' in page
    assert 'id="bulk-results"' not in page


# --- The file kept for its download -----------------------------------------------------------


def test_the_kept_file_is_only_for_whoever_uploaded_it_and_for_that_customer(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    url = annotated_url(upload(client, fixture_bytes("mixed-errors.csv", DOMAIN)))
    other_admin = _staff("ada", "Ada Other", "Admin agent")
    client.force_login(other_admin)
    response = client.post(url)
    assert response.status_code == 404
    assert NOT_KEPT in plain_quotes(response.content.decode())

    client.force_login(admin_agent)
    elsewhere = url.replace(CONTOSO, str(seed_plan.NEARLY_FULL_SKU_CUSTOMER_ID))
    assert client.post(elsewhere).status_code == 404
    assert client.get(url).status_code == 405  # a POST: the download is audited
    assert client.post(url).status_code == 200


def test_after_an_hour_the_kept_file_is_gone_and_the_page_says_what_to_do(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    url = annotated_url(upload(client, fixture_bytes("mixed-errors.csv", DOMAIN)))
    cache.delete_many([key for key in [f"bulk-upload:v1:{url.rstrip('/').rsplit('/', 1)[1]}"]])
    response = client.post(url)
    assert response.status_code == 404
    page = response.content.decode()
    assert NOT_KEPT in plain_quotes(page)
    assert '<input type="file" name="file"' in page


# --- htmx ----------------------------------------------------------------------------------------


def test_an_htmx_validate_answers_only_the_upload_section(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    page = upload(client, fixture_bytes("mixed-errors.csv", DOMAIN), **HTMX)
    assert page.lstrip().startswith('<div id="bulk-upload" class="bulk-upload">')
    assert "<html" not in page
    assert "4 of 5 users have errors" in plain(page)
    assert '<input type="file" name="file"' in page  # a fresh, empty file input
    refused = upload(client, b"", **HTMX)
    assert reading.EMPTY in plain_quotes(refused)
    good = upload(client, GOOD, **HTMX)
    assert "Next: Location and Save" in good
    assert BulkDraft.objects.count() == 1


def test_the_form_posts_with_htmx_as_multipart_and_works_without_it(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    page = client.get(upload_url()).content.decode()
    assert f'hx-post="/customers/{CONTOSO}/upload/" hx-encoding="multipart/form-data"' in page
    assert 'hx-target="#bulk-upload" hx-swap="outerHTML"' in page
    plain_page = upload(client, GOOD)
    assert plain_page.lstrip().startswith("<!doctype html>")


# --- Loading, Partner Center failures, Save ---------------------------------------------------


def test_a_customer_still_loading_is_said_and_validation_waits(
    client: Client, admin_agent: User, no_directory_worker: None
) -> None:
    client.force_login(admin_agent)
    page = client.get(upload_url(TAILSPIN)).content.decode()
    assert "Reading Tailspin Toys's users from Partner Center…" in plain_quotes(page)
    assert f'<a href="/customers/{TAILSPIN}/upload/">check again</a>' in page
    posted = upload(client, GOOD, customer_id=TAILSPIN)
    assert STILL_READING in plain_quotes(posted)
    assert 'id="bulk-results"' not in posted
    assert not BulkDraft.objects.exists()


def test_a_customer_without_delegated_access_says_so(client: Client, admin_agent: User) -> None:
    client.force_login(admin_agent)
    response = client.get(upload_url(ADATUM))
    assert response.status_code == 403
    assert "has no delegated admin access" in response.content.decode()


def test_the_location_step_posts_the_draft_to_save_which_makes_the_job(
    client: Client, admin_agent: User, writes: Writes
) -> None:
    client.force_login(admin_agent)
    upload(client, GOOD)
    draft = BulkDraft.objects.get()
    assert writes() == []  # validating wrote nothing
    response = client.post(
        f"/customers/{CONTOSO}/upload/save/",
        {"draft": str(draft.public_id), "usage_location": "DE", "ticket": "INC-1"},
    )
    job = BulkJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{CONTOSO}/uploads/{job.public_id}/"
    assert job.draft_public_id == draft.public_id
    assert job.usage_location == "DE"

"""The bulk rules on columns and rows, each with the exact message a person sees."""

from __future__ import annotations

import pytest

from tests.users.bulk_support import (
    DOMAIN,
    HEADER,
    csv_data,
    fixture_bytes,
    only_row_errors,
    validate,
)

# The customer lives in the directory (the database).
pytestmark = pytest.mark.django_db

ALL_COLUMNS = "First name, Last name, Display name, Email, Status update"


def one_row(
    first: str, last: str, display: str, email: str, status: str = ""
) -> dict[str, tuple[str, ...]]:
    """Validate a file of one row (cells quoted, so commas are fine); its errors by column."""
    cells = ",".join(f'"{cell}"' for cell in (first, last, display, email, status))
    validation = validate(csv_data(HEADER, cells))
    assert validation.file_errors == ()
    (row,) = validation.rows
    return dict(row.errors)


def email_errors(email: str) -> tuple[str, ...]:
    return one_row("", "", "Someone", email).get("email", ())


# --- Columns -------------------------------------------------------------------------------------


def test_columns_are_matched_by_name_in_any_order_and_case() -> None:
    validation = validate(fixture_bytes("columns-reordered.csv"))
    assert validation.file_errors == ()
    assert validation.ok


def test_a_missing_column_is_named_and_fails_the_upload() -> None:
    data = csv_data("First name,Last name,Display name,Status update", "Ada,King,Ada King,")
    validation = validate(data)
    assert validation.file_errors == (
        "The column 'Email' is missing. The first row must name the columns "
        f"{ALL_COLUMNS}, in any order; the CSV template has them.",
    )
    assert not validation.ok


def test_several_missing_columns_are_all_named() -> None:
    validation = validate(fixture_bytes("missing-columns.csv"))
    assert validation.file_errors == (
        "The columns 'Display name' and 'Status update' are missing. The first row must name the "
        f"columns {ALL_COLUMNS}, in any order; the CSV template has them.",
    )
    # The rows are listed as read, but not checked: their cells cannot be told apart.
    (row,) = validation.rows
    assert row.values == {"first_name": "Ada", "last_name": "King", "email": f"ada.king@{DOMAIN}"}
    assert row.errors == {}


def test_each_unknown_column_is_named_with_its_position() -> None:
    validation = validate(fixture_bytes("unknown-columns.csv"))
    assert validation.file_errors == (
        "Unknown column 'Department' (column 6). The file may only have the columns "
        f"{ALL_COLUMNS}: remove it, as extra data makes the upload fail.",
        f"Unknown column 'Phone' (column 7). The file may only have the columns {ALL_COLUMNS}: "
        "remove it, as extra data makes the upload fail.",
    )
    assert validation.summary.errors == 2


def test_a_column_without_a_name_between_named_ones_is_an_error() -> None:
    data = csv_data("First name,,Last name,Display name,Email,Status update", "A,,B,A B,a@x,")
    assert validate(data).file_errors == (
        f"Column 2 has no name. The file may only have the columns {ALL_COLUMNS}: remove it, as "
        "extra data makes the upload fail.",
    )


def test_a_column_named_twice_is_an_error() -> None:
    data = csv_data(f"{HEADER},email", f"A,B,A B,a@{DOMAIN},,")
    assert validate(data).file_errors == (
        "The column 'Email' appears twice (columns 4 and 6). Keep one.",
    )


def test_empty_column_names_after_the_last_column_are_ignored() -> None:
    assert validate(fixture_bytes("trailing-empty-columns.csv")).ok


# --- Rows ----------------------------------------------------------------------------------------


def test_more_than_100_users_fail_the_upload() -> None:
    validation = validate(fixture_bytes("101-users.csv"))
    assert validation.file_errors == (
        "The file has 101 users; an upload takes at most 100. Split it into files of 100 users or "
        "fewer.",
    )
    # Refused by its count while it was read: no row was built, let alone checked or shown.
    assert validation.rows == ()
    assert not validation.ok


def test_100_users_are_allowed() -> None:
    assert validate(fixture_bytes("100-users.csv")).ok


def test_a_row_with_more_cells_than_the_header_is_an_error_on_that_row() -> None:
    validation = validate(fixture_bytes("extra-cells.csv"))
    assert only_row_errors(validation) == {
        2: {
            "row": (
                "This row has more cells than the header: 'Sales' in column 6, "
                "'+44 20 7946 0000' in column 7. Remove them, as extra data makes the upload fail.",
            )
        }
    }
    # Empty cells past the header (a row Excel once had data in) are not extra data.
    assert validation.rows[1].ok
    assert validation.rows[2].ok


def test_a_row_shorter_than_the_header_has_empty_cells() -> None:
    validation = validate(csv_data(HEADER, f"Ada,King,Ada King,ada.king@{DOMAIN}"))
    assert validation.ok
    assert validation.rows[0].values["status_update"] == ""


def test_display_name_is_required() -> None:
    assert one_row("Sam", "Hill", "", f"sam@{DOMAIN}") == {
        "display_name": (
            "Display name is required. Fill it in, for example with the first and last name.",
        )
    }


def test_first_and_last_name_are_optional() -> None:
    assert one_row("", "", "Front Desk", f"frontdesk@{DOMAIN}") == {}


@pytest.mark.parametrize(
    ("column", "key", "position"),
    [
        ("First name", "first_name", 0),
        ("Last name", "last_name", 1),
        ("Display name", "display_name", 2),
    ],
)
def test_every_name_is_at_most_50_characters(column: str, key: str, position: int) -> None:
    cells = ["Ada", "King", "Ada King", f"ada.king@{DOMAIN}"]
    cells[position] = "x" * 50
    assert one_row(*cells) == {}
    cells[position] = "Ä" * 51
    assert one_row(*cells) == {
        key: (f"{column} is 51 characters long; the limit is 50. Shorten it.",)
    }


def test_email_is_required() -> None:
    assert email_errors("") == (
        "Email is required: it becomes the new user's username (name@domain).",
    )


@pytest.mark.parametrize("email", ["ada.king", f"@{DOMAIN}", "ada.king@"])
def test_an_email_needs_a_name_an_at_and_a_domain(email: str) -> None:
    assert email_errors(email)[0] == (
        f"Email '{email}' is not an email address: it needs a name, an @ and one of this "
        "customer's domains."
    )


@pytest.mark.parametrize(
    "alias", ["a", "Ada.King", "o'brien", "a-b_c!d#e^f~g", "x" * 64, "007", "A.B.C"]
)
def test_an_alias_of_the_allowed_characters_is_a_valid_username(alias: str) -> None:
    assert email_errors(f"{alias}@{DOMAIN}") == ()


@pytest.mark.parametrize(
    ("alias", "found"),
    [
        ("björn", "'ö'"),
        ("ada king", "the space"),
        ("ada+news", "'+'"),
        ("a@b", "'@'"),
        ("x(y)é", "'(', ')', 'é'"),
        ("a{b}", "'{', '}'"),
    ],
)
def test_an_alias_may_only_have_ascii_letters_digits_and_a_few_marks(
    alias: str, found: str
) -> None:
    email = f"{alias}@{DOMAIN}"
    assert email_errors(email) == (
        f"Email '{email}': the part before the @ may only have letters A-Z, digits and "
        f". - _ ! # ^ ~ ' (remove {found}).",
    )


def test_an_alias_is_at_most_64_characters() -> None:
    email = f"{'x' * 65}@{DOMAIN}"
    assert email_errors(email) == (
        f"Email '{email}': the part before the @ is 65 characters long; the limit is 64.",
    )


@pytest.mark.parametrize("alias", [".ada", "ada.", "."])
def test_an_alias_cannot_start_or_end_with_a_dot(alias: str) -> None:
    email = f"{alias}@{DOMAIN}"
    assert email_errors(email) == (
        f"Email '{email}': the part before the @ cannot start or end with a dot.",
    )


def test_an_alias_cannot_have_two_dots_in_a_row() -> None:
    email = f"ada..king@{DOMAIN}"
    assert email_errors(email) == (
        f"Email '{email}': the part before the @ cannot have two dots in a row.",
    )


def test_the_domain_must_be_one_of_the_customers_in_any_case() -> None:
    assert email_errors("ada@CONTOSO.Example") == ()
    assert email_errors("ada@contoso.onmicrosoft.com") == ()
    assert email_errors("ada@fabrikam.example") == (
        "Email 'ada@fabrikam.example' is not at one of this customer's domains "
        "(contoso.example, contoso.onmicrosoft.com). Use one of them.",
    )


@pytest.mark.parametrize(
    ("email", "found"),
    [
        ("ada@contoſo.example", "'ſ'"),  # casefolds to an s: it once passed Validate
        ("ada@CONTOSO.EXAMPLE\u212a", "'\u212a'"),  # the Kelvin sign, which lowers to a k
        ("ada@contosö.example", "'ö'"),
    ],
)
def test_a_domain_with_a_character_beyond_ascii_is_an_error_naming_it(
    email: str, found: str
) -> None:
    assert email_errors(email) == (
        f"Email '{email}': the domain may only have letters A-Z, digits, dots and hyphens "
        f"(remove {found}).",
    )


def test_a_bad_alias_and_a_foreign_domain_are_both_reported() -> None:
    assert email_errors("ada king@fabrikam.example") == (
        "Email 'ada king@fabrikam.example': the part before the @ may only have letters A-Z, "
        "digits and . - _ ! # ^ ~ ' (remove the space).",
        "Email 'ada king@fabrikam.example' is not at one of this customer's domains "
        "(contoso.example, contoso.onmicrosoft.com). Use one of them.",
    )


def test_a_runaway_value_is_cut_short_in_a_message() -> None:
    email = "y" * 150 + "@fabrikam.example"
    message = email_errors(email)[0]
    assert message.startswith(f"Email '{'y' * 119}…':")


def test_emails_are_unique_ignoring_case_and_the_first_occurrence_stands() -> None:
    validation = validate(
        csv_data(
            HEADER,
            f"Tom,Baker,Tom Baker,tom.baker@{DOMAIN},",
            f"Sam,Hill,Sam Hill,sam.hill@{DOMAIN},",
            f"Tom,Baker,Tom Baker (2),TOM.BAKER@{DOMAIN.upper()},",
            f"Tom,Baker,Tom Baker (3),Tom.Baker@{DOMAIN},",
        )
    )
    assert only_row_errors(validation) == {
        4: {
            "email": (
                f"Email 'TOM.BAKER@{DOMAIN.upper()}' is already in row 2 (emails must be unique, "
                "ignoring case). Change it or remove this row.",
            )
        },
        5: {
            "email": (
                f"Email 'Tom.Baker@{DOMAIN}' is already in row 2 (emails must be unique, ignoring "
                "case). Change it or remove this row.",
            )
        },
    }


def test_an_active_users_username_is_an_error_in_any_case() -> None:
    assert email_errors(f"ADA.Active@{DOMAIN}") == (
        f"Email 'ADA.Active@{DOMAIN}' is already the username of Ada Active, an active user of "
        "this customer. Choose another username.",
    )


def test_a_deleted_users_username_is_a_warning_not_an_error() -> None:
    validation = validate(csv_data(HEADER, f"Dee,New,Dee New,Dee.Deleted@{DOMAIN},"))
    assert validation.ok
    (row,) = validation.rows
    assert row.errors == {}
    assert row.warnings == {
        "email": (
            f"Email 'Dee.Deleted@{DOMAIN}' is the username of Dee Deleted, deleted on 2026-11-20 "
            "and restorable until 2026-12-20. Creating this user means Dee Deleted can no longer "
            "be restored under this username.",
        )
    }
    assert validation.summary.warnings == 1


def test_a_user_deleted_more_than_30_days_ago_is_no_warning() -> None:
    validation = validate(csv_data(HEADER, f"Old,Gone,Old Gone,old.gone@{DOMAIN},"))
    assert validation.ok
    assert validation.rows[0].warnings == {}


def test_a_username_both_active_and_deleted_is_an_error_only() -> None:
    errors = one_row("Rey", "R", "Rey R", f"reused@{DOMAIN}")
    assert errors == {
        "email": (
            f"Email 'reused@{DOMAIN}' is already the username of Rey Reuse, an active user of "
            "this customer. Choose another username.",
        )
    }


def test_status_update_must_be_empty() -> None:
    assert one_row("Kai", "Moe", "Kai Moe", f"kai.moe@{DOMAIN}", "Done") == {
        "status_update": (
            "Status update must be empty: the portal writes each user's result there. "
            "Clear 'Done'.",
        )
    }


def test_the_portals_own_annotations_in_status_update_are_ignored() -> None:
    validation = validate(fixture_bytes("annotated-status.csv"))
    assert only_row_errors(validation) == {
        4: {
            "status_update": (
                "Status update must be empty: the portal writes each user's result there. "
                "Clear 'Created'.",
            )
        }
    }


def test_text_that_only_mentions_the_marker_later_is_not_an_annotation() -> None:
    errors = one_row("Kai", "Moe", "Kai Moe", f"kai.moe@{DOMAIN}", "see [Partner Portal]")
    assert set(errors) == {"status_update"}


def test_the_mixed_errors_example_reports_each_problem_beside_its_cell() -> None:
    validation = validate(fixture_bytes("mixed-errors.csv"))
    assert only_row_errors(validation) == {
        3: {
            "email": (
                f"Email 'TOM.BAKER@{DOMAIN}' is already in row 2 (emails must be unique, ignoring "
                "case). Change it or remove this row.",
            )
        },
        4: {
            "display_name": (
                "Display name is required. Fill it in, for example with the first and last name.",
            )
        },
        5: {
            "email": (
                "Email 'lee.wong@elsewhere.example' is not at one of this customer's domains "
                "(contoso.example, contoso.onmicrosoft.com). Use one of them.",
            )
        },
        6: {
            "status_update": (
                "Status update must be empty: the portal writes each user's result there. "
                "Clear 'Done'.",
            )
        },
    }
    summary = validation.summary
    assert (summary.users, summary.ready, summary.with_errors, summary.errors) == (5, 1, 4, 4)
    assert summary.warnings == 0


def test_errors_and_warnings_can_be_listed_one_line_each_with_their_row() -> None:
    validation = validate(
        csv_data(
            HEADER,
            f"Sam,,,sam@{DOMAIN},Done",
            f"Dee,New,Dee New,dee.deleted@{DOMAIN},",
            *[f"U,{n},U {n},u{n}@{DOMAIN}," for n in range(98)],
        )
    )
    assert validation.error_lines() == [
        "Row 2: Display name is required. Fill it in, for example with the first and last name.",
        "Row 2: Status update must be empty: the portal writes each user's result there. "
        "Clear 'Done'.",
    ]
    assert validation.warning_lines() == [
        f"Row 3: Email 'dee.deleted@{DOMAIN}' is the username of Dee Deleted, deleted on "
        "2026-11-20 and restorable until 2026-12-20. Creating this user means Dee Deleted can no "
        "longer be restored under this username."
    ]

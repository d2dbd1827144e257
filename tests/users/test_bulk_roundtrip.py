"""The annotated download, the template, and a faulty file fixed in Excel and uploaded again."""

from __future__ import annotations

import csv
import io

import pytest

from tests.users.bulk_support import DOMAIN, HEADER, csv_data, fixture_bytes, validate
from users.bulk.services import bulk_annotated_csv, bulk_template_csv

# The customer lives in the directory (the database).
pytestmark = pytest.mark.django_db


def read_back(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_template_is_the_seeds_five_columns_as_excel_opens_them() -> None:
    assert bulk_template_csv() == (
        b"\xef\xbb\xbfFirst name,Last name,Display name,Email,Status update\r\n"
    )


def test_the_template_uploaded_unchanged_asks_for_users() -> None:
    validation = validate(bulk_template_csv())
    assert validation.file_errors == (
        "The file has column names but no users. Add one user per row below the column names "
        "and upload it again.",
    )


def test_the_download_puts_each_rows_errors_in_its_status_update_behind_the_marker() -> None:
    annotated = bulk_annotated_csv(validate(fixture_bytes("mixed-errors.csv")))
    assert annotated.decode("utf-8-sig") == (
        f"{HEADER}\r\n"
        f"Tom,Baker,Tom Baker,tom.baker@{DOMAIN},\r\n"
        f'Tom,Baker,Tom Baker (2),TOM.BAKER@{DOMAIN},"[Partner Portal] Error: Email '
        f"'TOM.BAKER@{DOMAIN}' is already in row 2 (emails must be unique, ignoring case). "
        'Change it or remove this row."\r\n'
        f'Sam,,,sam@{DOMAIN},"[Partner Portal] Error: Display name is required. Fill it in, for '
        'example with the first and last name."\r\n'
        'Lee,Wong,Lee Wong,lee.wong@elsewhere.example,"[Partner Portal] Error: Email '
        "'lee.wong@elsewhere.example' is not at one of this customer's domains "
        '(contoso.example, contoso.onmicrosoft.com). Use one of them."\r\n'
        f"Kai,Moe,Kai Moe,kai.moe@{DOMAIN},[Partner Portal] Error: Status update must be empty: "
        "the portal writes each user's result there. Clear 'Done'.\r\n"
    )


def test_several_errors_and_a_warning_share_one_status_update() -> None:
    data = csv_data(HEADER, f"{'x' * 51},,,dee.deleted@{DOMAIN},", f"A,B,A B,dee.deleted@{DOMAIN},")
    rows = read_back(bulk_annotated_csv(validate(data)))
    assert rows[1][4] == (
        "[Partner Portal] Error: First name is 51 characters long; the limit is 50. Shorten it. | "
        "Error: Display name is required. Fill it in, for example with the first and last name. | "
        f"Warning: Email 'dee.deleted@{DOMAIN}' is the username of Dee Deleted, deleted on "
        "2026-11-20 and restorable until 2026-12-20. Creating this user means Dee Deleted can no "
        "longer be restored under this username."
    )
    assert rows[2][4] == (
        f"[Partner Portal] Error: Email 'dee.deleted@{DOMAIN}' is already in row 2 (emails must "
        "be unique, ignoring case). Change it or remove this row."
    )


def test_the_download_keeps_the_files_columns_order_and_cells_and_writes_commas_in_utf8() -> None:
    data = csv_data(
        "Email;Display name;First name;Last name;Status update",
        f"ada.king@{DOMAIN};;Ada;Müller;",
        encoding="cp1252",
    )
    rows = read_back(bulk_annotated_csv(validate(data)))
    assert rows == [
        ["Email", "Display name", "First name", "Last name", "Status update"],
        [
            f"ada.king@{DOMAIN}",
            "",
            "Ada",
            "Müller",
            "[Partner Portal] Error: Display name is required. Fill it in, for example with the "
            "first and last name.",
        ],
    ]


def test_the_download_guards_formula_cells_and_keeps_extra_cells() -> None:
    data = csv_data(HEADER, f"=cmd,-x,Ops,ops@{DOMAIN},,+1 555")
    rows = read_back(bulk_annotated_csv(validate(data)))
    assert rows[1][:4] == ["'=cmd", "'-x", "Ops", f"ops@{DOMAIN}"]
    assert rows[1][4].startswith("[Partner Portal] Error: This row has more cells than the header")
    assert rows[1][5] == "'+1 555"


def test_a_file_without_a_status_update_column_gets_one_behind_every_cell() -> None:
    data = csv_data("First name,Last name,Display name,Email", f"A,B,,a.b@{DOMAIN},Sales")
    rows = read_back(bulk_annotated_csv(validate(data)))
    assert rows[0] == ["First name", "Last name", "Display name", "Email", "", "Status update"]
    assert rows[1][:5] == ["A", "B", "", f"a.b@{DOMAIN}", "Sales"]
    assert rows[1][5] == ""  # the rows were not checked: the columns are wrong


def test_a_valid_row_loses_an_old_annotation() -> None:
    rows = read_back(bulk_annotated_csv(validate(fixture_bytes("annotated-status.csv"))))
    assert [row[4] for row in rows[1:]] == [
        "",
        "",
        "[Partner Portal] Error: Status update must be empty: the portal writes each user's "
        "result there. Clear 'Created'.",
    ]


def test_a_refused_file_cannot_be_downloaded_back() -> None:
    with pytest.raises(ValueError, match="refused"):
        bulk_annotated_csv(validate(fixture_bytes("workbook.xlsx")))


def test_a_faulty_file_downloaded_fixed_in_one_cell_and_uploaded_as_it_is_passes() -> None:
    original = csv_data(
        HEADER,
        f"Ada,King,=Ops desk,ada.king@{DOMAIN},",
        f"Sam,Hill,,sam.hill@{DOMAIN},",
        f"Dee,New,Dee New,dee.deleted@{DOMAIN},",
        f"Kai,Moe,Kai Moe,kai.moe@{DOMAIN},Done",
    )
    first = validate(original)
    assert not first.ok
    assert first.summary.with_errors == 2

    downloaded = bulk_annotated_csv(first)
    assert f"Ada,King,'=Ops desk,ada.king@{DOMAIN},\r\n".encode() in downloaded
    # The person fills in the one empty display name in Excel and saves.
    fixed = downloaded.replace(b"Sam,Hill,,", b"Sam,Hill,Sam Hill,", 1)
    assert fixed != downloaded

    second = validate(fixed, file_name="users (errors).csv")
    assert second.ok, [row.error_list() for row in second.rows]
    assert [row.values["display_name"] for row in second.rows] == [
        "=Ops desk",
        "Sam Hill",
        "Dee New",
        "Kai Moe",
    ]
    assert second.summary.warnings == 1  # the deleted user's username is still worth knowing
    # Downloading the passing file again clears the old errors and keeps the warning.
    again = read_back(bulk_annotated_csv(second))
    assert [row[4][:26] for row in again[1:]] == ["", "", "[Partner Portal] Warning: ", ""]

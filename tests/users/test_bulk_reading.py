"""Reading what people upload: Excel's encodings and separators, and files that are refused."""

from __future__ import annotations

import pytest

from tests.users.bulk_support import DOMAIN, HEADER, csv_data, fixture_bytes, validate

# The customer lives in the directory (the database).
pytestmark = pytest.mark.django_db

SAVE_AS = 'In Excel choose File > Save As > "CSV UTF-8 (Comma delimited) (*.csv)"'


def refusal(data: bytes) -> str:
    validation = validate(data)
    assert validation.columns is None
    assert not validation.ok
    assert not validation.readable
    assert validation.rows == ()
    assert validation.summary.errors == 1
    (message,) = validation.file_errors
    return message


# --- What Excel saves ----------------------------------------------------------------------------


def test_excels_csv_utf8_with_bom_crlf_quotes_and_accents_is_valid() -> None:
    validation = validate(fixture_bytes("excel-utf8-valid.csv"))
    assert validation.ok
    assert validation.summary.encoding == "UTF-8 with byte-order mark"
    assert validation.summary.delimiter == ","
    assert validation.summary.notes == ()
    assert [dict(row.values) for row in validation.rows][1:3] == [
        {
            "first_name": "Anne-Marie",
            "last_name": "D'Arcy",
            "display_name": "D'Arcy, Anne-Marie",
            "email": f"anne-marie.darcy@{DOMAIN}",
            "status_update": "",
        },
        {
            "first_name": "Björn",
            "last_name": "Ångström",
            "display_name": "Björn Ångström",
            "email": f"bjorn.angstrom@{DOMAIN}",
            "status_update": "",
        },
    ]
    assert validation.rows[3].values["first_name"] == ""
    assert validation.rows[3].values["display_name"] == "Front Desk"


def test_utf8_without_a_bom_and_with_lf_line_ends_is_read_as_utf8() -> None:
    validation = validate(fixture_bytes("utf8-lf.csv"))
    assert validation.ok
    assert validation.summary.encoding == "UTF-8"
    assert validation.rows[1].values["display_name"] == "Zoë Ng"


def test_a_file_that_is_not_utf8_is_read_as_windows_1252_and_the_summary_says_so() -> None:
    validation = validate(fixture_bytes("excel-windows-1252.csv"))
    assert validation.ok
    assert validation.summary.encoding == "Windows-1252"
    assert validation.summary.notes == (
        'The file is not UTF-8, so it was read as Windows-1252 (what Excel\'s plain "CSV" '
        "saves). If a name looks wrong here, save the file as CSV UTF-8 and upload it again.",
    )
    assert [row.values["display_name"] for row in validation.rows] == [
        "Björn Ångström",
        "François Lefèvre – Sales",
    ]


def test_a_header_that_splits_on_semicolons_is_read_with_semicolons_and_said_so() -> None:
    validation = validate(fixture_bytes("excel-semicolons.csv"))
    assert validation.ok
    assert validation.summary.delimiter == ";"
    assert validation.summary.notes == (
        "The columns are separated by semicolons (as European Excel saves CSV), so the file was "
        "read with ';'.",
    )
    assert validation.rows[0].values["display_name"] == "D'Arcy, Anne-Marie"
    assert validation.rows[1].values["last_name"] == "Groß"


def test_a_comma_file_with_semicolons_in_a_name_stays_a_comma_file() -> None:
    validation = validate(csv_data(HEADER, f"Ada,King,Ada; the King,ada.king@{DOMAIN},"))
    assert validation.ok
    assert validation.summary.delimiter == ","
    assert validation.rows[0].values["display_name"] == "Ada; the King"


def test_windows_1252_and_semicolons_together_are_both_noted() -> None:
    data = csv_data(
        "First name;Last name;Display name;Email;Status update",
        f"Jürgen;Groß;Jürgen Groß;juergen.gross@{DOMAIN};",
        encoding="cp1252",
    )
    validation = validate(data)
    assert validation.ok
    assert validation.rows[0].values["display_name"] == "Jürgen Groß"
    assert len(validation.summary.notes) == 2


def test_quoted_commas_and_line_breaks_are_cells_and_rows_are_numbered_as_excel_shows_them() -> (
    None
):
    validation = validate(fixture_bytes("quoted-commas-newlines.csv"))
    first, second, third = validation.rows
    assert (first.number, first.values["first_name"], first.values["display_name"]) == (
        2,
        "Tom, Jr.",
        "Baker, Tom",
    )
    assert second.number == 3
    assert second.values["display_name"] == "Ann\r\nLee"
    assert dict(second.errors) == {
        "display_name": ("Display name has a line break in it. Put it on one line.",)
    }
    # The record after the two-line one is Excel's row 4, not line 5 of the file.
    assert third.number == 4
    assert dict(third.errors) == {
        "email": (
            f"Email 'Tom.Baker@{DOMAIN}' is already in row 2 (emails must be unique, ignoring "
            "case). Change it or remove this row.",
        )
    }


def test_blank_lines_and_rows_of_empty_cells_are_ignored_but_keep_excels_row_numbers() -> None:
    validation = validate(fixture_bytes("blank-lines.csv"))
    assert [row.number for row in validation.rows] == [4, 7, 8]
    assert validation.summary.users == 3
    assert {row.number: row.ok for row in validation.rows} == {4: True, 7: True, 8: False}
    assert validation.rows[2].errors["email"] == (
        f"Email 'BO.EK@{DOMAIN}' is already in row 7 (emails must be unique, ignoring case). "
        "Change it or remove this row.",
    )


def test_surrounding_spaces_in_cells_and_column_names_are_trimmed() -> None:
    validation = validate(fixture_bytes("columns-reordered.csv"))
    assert validation.ok
    assert dict(validation.rows[0].values) == {
        "email": f"ada.king@{DOMAIN}",
        "display_name": "Ada King",
        "status_update": "",
        "first_name": "Ada",
        "last_name": "King",
    }


def test_a_quote_guarding_a_formula_is_removed_once_and_other_cells_are_kept_as_typed() -> None:
    validation = validate(fixture_bytes("formula-cells.csv"))
    assert validation.ok
    values = [
        (row.values["first_name"], row.values["last_name"], row.values["display_name"])
        for row in validation.rows
    ]
    assert values == [
        ('=HYPERLINK("x")', "-Team-", "+Sales Desk"),
        ("@Home", "Ops", "=1+1"),
        ("''=twice", "Q", "Quote Test"),
    ]


# --- Files that are refused ----------------------------------------------------------------------


def test_an_empty_file_is_refused() -> None:
    assert refusal(fixture_bytes("empty.csv")) == (
        "The file is empty. Download the CSV template, add one user per row, save it as CSV "
        "UTF-8 and upload it again."
    )


def test_a_file_of_blank_lines_is_refused_as_empty() -> None:
    assert refusal(fixture_bytes("blank-lines-only.csv")).startswith("The file is empty.")


@pytest.mark.parametrize("name", ["header-only.csv", "header-only-with-blank-rows.csv"])
def test_a_header_without_users_is_refused(name: str) -> None:
    assert refusal(fixture_bytes(name)) == (
        "The file has column names but no users. Add one user per row below the column names "
        "and upload it again."
    )


def test_an_xlsx_workbook_is_refused_with_how_to_save_it_as_csv() -> None:
    assert refusal(fixture_bytes("workbook.xlsx")) == (
        f"This is an Excel workbook (.xlsx), not a CSV file. {SAVE_AS} and upload that file."
    )


def test_an_old_xls_workbook_is_refused_with_how_to_save_it_as_csv() -> None:
    assert refusal(fixture_bytes("workbook.xls")) == (
        f"This is an old Excel workbook (.xls), not a CSV file. {SAVE_AS} and upload that file."
    )


def test_excels_unicode_text_utf16_is_refused() -> None:
    assert refusal(fixture_bytes("unicode-text.txt")) == (
        f"This file is Unicode Text (UTF-16), not CSV. {SAVE_AS} and upload that file."
    )


def test_a_tab_separated_file_is_refused() -> None:
    assert refusal(fixture_bytes("tab-delimited.txt")) == (
        "The columns are separated by tabs (Excel's Text format), not commas. "
        f"{SAVE_AS} and upload that file."
    )


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"First name,Last name\r\nA\x00,B\r\n",
        # 0x81 is undefined in Windows-1252 and invalid UTF-8: not text in either.
        b"First name\x81,Last name\r\n",
    ],
)
def test_binary_data_is_refused(data: bytes) -> None:
    assert refusal(data) == (
        f"This is not a text file: it holds binary data. {SAVE_AS} and upload that file."
    )


def test_the_png_fixture_is_refused_as_binary() -> None:
    assert refusal(fixture_bytes("picture.png")).startswith("This is not a text file")


def test_a_file_over_1_mb_is_refused_before_it_is_read() -> None:
    row = f"User,Name,User Name,user.name@{DOMAIN},\r\n"
    data = f"{HEADER}\r\n{row * (1024 * 1024 // len(row) + 1)}".encode()
    assert len(data) > 1024 * 1024
    assert refusal(data) == (
        "The file is 1.0 MB, over the 1 MB limit. An upload takes at most 100 users, which fit "
        "in far less: check that this is the right file, and save it as CSV UTF-8."
    )


def test_a_file_of_exactly_1_mb_is_read() -> None:
    row = f"User,Name,User Name,user.name@{DOMAIN},\r\n"
    head = f"{HEADER}\r\n{row}"
    data = (head + "\n" * (1024 * 1024 - len(head))).encode()
    assert len(data) == 1024 * 1024
    assert validate(data).ok


def test_a_quote_that_is_never_closed_is_refused_when_it_swallows_the_file() -> None:
    data = csv_data(HEADER, f'Ada,"King,Ada King,ada.king@{DOMAIN},' + "x" * 200_000)
    assert refusal(data) == (
        "Line 2 has a cell longer than 131,072 characters, which no name or username is. The "
        'usual cause is a quote (") that is never closed, so the rest of the file reads as one '
        "cell: check the quotes from that line on, save the file as CSV UTF-8 and upload it again."
    )


def test_an_unclosed_quote_says_so_and_names_its_line() -> None:
    data = csv_data(
        HEADER,
        f"Ada,King,Ada King,ada.king@{DOMAIN},",
        f'Bo,"Lee,Bo Lee,bo.lee@{DOMAIN},',
        f"Cy,Day,Cy Day,cy.day@{DOMAIN},",
    )
    assert refusal(data) == (
        'Line 3: a quote (") opens a cell that is never closed, so everything after it would be '
        "read as one cell. Close the quote or remove it, save the file as CSV UTF-8 and upload it "
        "again."
    )


def test_a_first_line_with_a_cell_over_the_csv_limit_is_refused_not_a_crash() -> None:
    data = csv_data("x" * 140_000 + ",Last name", f"Ada,King,Ada King,ada@{DOMAIN},")
    assert refusal(data).startswith("Line 1 has a cell longer than 131,072 characters")


def test_a_cell_that_breaks_the_csv_rules_names_its_line() -> None:
    data = csv_data(HEADER, f'"Ada" Lovelace,King,Ada King,ada@{DOMAIN},')
    assert refusal(data) == (
        "Line 2 could not be read as CSV (',' expected after '\"'). "
        f"{SAVE_AS} and upload that file."
    )


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("workbook.xlsx", "This is an Excel workbook (.xlsx), not a CSV file."),
        ("spreadsheet.ods", "This is an OpenDocument spreadsheet (.ods), not a CSV file."),
        ("archive.zip", "This is a ZIP archive (compressed files), not a CSV file."),
    ],
)
def test_a_zip_is_named_for_what_it_holds(name: str, start: str) -> None:
    assert refusal(fixture_bytes(name)).startswith(start)


def test_a_file_of_many_rows_is_refused_by_its_count_before_any_row_is_built() -> None:
    """The first review's 1 MB file of 209,703 rows: counted while reading, refused at once."""
    data = csv_data(HEADER, *(["a,b,c,d@e,"] * 209_703))
    assert len(data) < 1024 * 1024 * 3
    validation = validate(data[: 1024 * 1024])  # what the upload keeps of it (1 MB)
    assert validation.rows == ()
    [message] = validation.file_errors
    assert message.startswith("The file has ")
    assert "an upload takes at most 100" in message
    small = validate(csv_data(HEADER, *(["a,b,c,d@e,"] * 5_000)))
    assert small.rows == () and small.file_errors == (
        "The file has 5,000 users; an upload takes at most 100. Split it into files of 100 "
        "users or fewer.",
    )


def test_the_file_name_keeps_only_the_name_of_a_client_path() -> None:
    data = fixture_bytes("utf8-lf.csv")
    assert validate(data, file_name="C:\\Users\\ada\\Desktop\\new users.csv").file_name == (
        "new users.csv"
    )

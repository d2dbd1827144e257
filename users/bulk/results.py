"""A validation laid out as the Upload users screen shows it: the file as it was uploaded, column
by column, each cell with its own errors and warnings, and an id on every message so the cell
can point at it (`aria-describedby`)."""

from __future__ import annotations

from dataclasses import dataclass

from users.bulk.rules import MARKER, ROW, STATUS_UPDATE
from users.bulk.services import Validation


@dataclass(frozen=True)
class Message:
    id: str
    text: str


@dataclass(frozen=True)
class Cell:
    value: str
    errors: tuple[Message, ...] = ()
    warnings: tuple[Message, ...] = ()
    earlier_note: bool = False  # a Status update the portal wrote itself: ignored

    @property
    def described_by(self) -> str:
        return " ".join(message.id for message in (*self.errors, *self.warnings))


@dataclass(frozen=True)
class Row:
    number: int
    cells: tuple[Cell, ...]
    errors: tuple[Message, ...]  # about the row as a whole (extra cells)
    warnings: tuple[Message, ...]
    ok: bool

    @property
    def has_warnings(self) -> bool:
        return bool(self.warnings) or any(cell.warnings for cell in self.cells)

    @property
    def described_by(self) -> str:
        return " ".join(message.id for message in (*self.errors, *self.warnings))


@dataclass(frozen=True)
class ResultsTable:
    headers: tuple[str, ...]  # the file's own column names, in its order
    rows: tuple[Row, ...]


def results_table(validation: Validation) -> ResultsTable | None:
    """The rows under the file's header; None for a file that could not be read at all."""
    columns = validation.columns
    if columns is None:
        return None
    width = columns.width
    key_at = {position: key for key, position in columns.index.items()}
    rows = []
    for result in validation.rows:
        values = list(result.cells[:width]) + [""] * (width - len(result.cells))
        cells = []
        for position, value in enumerate(values):
            key = key_at.get(position)
            stem = f"row-{result.number}-col-{position + 1}"
            errors = result.errors.get(key, ()) if key else ()
            warnings = result.warnings.get(key, ()) if key else ()
            cells.append(
                Cell(
                    value=value,
                    errors=_messages(f"{stem}-error", errors),
                    warnings=_messages(f"{stem}-warning", warnings),
                    earlier_note=key == STATUS_UPDATE and value.startswith(MARKER),
                )
            )
        rows.append(
            Row(
                number=result.number,
                cells=tuple(cells),
                errors=_messages(f"row-{result.number}-error", result.errors.get(ROW, ())),
                warnings=_messages(f"row-{result.number}-warning", result.warnings.get(ROW, ())),
                ok=result.ok,
            )
        )
    return ResultsTable(headers=tuple(validation.header[:width]), rows=tuple(rows))


def _messages(stem: str, texts: tuple[str, ...]) -> tuple[Message, ...]:
    return tuple(Message(f"{stem}-{index}", text) for index, text in enumerate(texts, start=1))

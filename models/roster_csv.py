"""Read the student list exported from the student information system (CSV).

Columns (header names, any order; `,` or `;` separated; UTF-8):

| column | required | example |
|---|---|---|
| `student_number` | yes | `12345` |
| `first_name`, `last_name` | yes | `Sanne`, `de Vries` |
| `birth_date` | yes | `2012-03-04` or `04-03-2012` |
| `group` | yes | `7B` |
| `student_email` | no | where a student aged 16+ gets their own consent link |
| `guardian1_name`, `guardian1_email` | no | a name/email pair per guardian: `guardian2_…`, `guardian3_…` |
| `guardian1_relation` | no | `mother`, `father`, `guardian` |

The whole file is checked before anything is written: every invalid row is reported with its
line number and reason, and a file with any invalid row changes nothing.
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from models.errors import RecordsError
from models.plain_text import NameRefused, refuse_control_characters

REQUIRED = ("student_number", "first_name", "last_name", "birth_date", "group")
OPTIONAL = ("student_email",)
_GUARDIAN_COLUMN = re.compile(r"guardian(\d+)_(name|email|relation)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")


@dataclass(frozen=True)
class GuardianRow:
    name: str
    email: str
    """Lower case."""
    relation: str | None


@dataclass(frozen=True)
class RosterRow:
    line: int
    student_number: str
    first_name: str
    last_name: str
    birth_date: date
    group: str
    email: str | None
    guardians: tuple[GuardianRow, ...]


class RosterError(RecordsError):
    """The file cannot be imported; `problems` lists (line, reason) for every invalid row."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        shown = "\n".join(f"line {line}: {reason}" for line, reason in problems[:50])
        more = f"\n… and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"nothing was imported; {len(problems)} problem(s):\n{shown}{more}")


def read_roster(path: Path, today: date) -> list[RosterRow]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise RosterError([(0, f"cannot read {path}: {error}")]) from None
    return parse_roster(text, today)


def parse_roster(text: str, today: date) -> list[RosterRow]:
    header = text.partition("\n")[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    reader.fieldnames = [_column_name(name) for name in reader.fieldnames or []]
    _check_header(reader.fieldnames)
    guardian_slots = sorted({int(m[1]) for name in reader.fieldnames if (m := _GUARDIAN_COLUMN.fullmatch(name))})
    rows, problems = [], []
    numbers: dict[str, int] = {}
    guardian_names: dict[str, tuple[str, int]] = {}
    for record in reader:
        line = reader.line_num
        try:
            row = _row(line, record, guardian_slots, today)
            _check_consistency(row, numbers, guardian_names)
        except ValueError as error:
            problems.append((line, str(error)))
            continue
        rows.append(row)
    if problems:
        raise RosterError(problems)
    return rows


def _column_name(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def _check_header(columns: list[str]) -> None:
    missing = [name for name in REQUIRED if name not in columns]
    unknown = [name for name in columns if name not in REQUIRED + OPTIONAL and not _GUARDIAN_COLUMN.fullmatch(name)]
    problems = [(1, f"missing column {name!r}") for name in missing]
    problems += [(1, f"unknown column {name!r}: see the documented columns") for name in unknown]
    if problems:
        raise RosterError(problems)


def _row(line: int, record: dict[str, str | None], guardian_slots: list[int], today: date) -> RosterRow:
    value = {key: (text or "").strip() for key, text in record.items() if key is not None}
    if None in record:
        raise ValueError("more fields than columns in the header")
    for name, text in value.items():
        try:
            refuse_control_characters(name, text)
        except NameRefused as refusal:
            raise ValueError(str(refusal)) from None
    for name in REQUIRED:
        if not value[name]:
            raise ValueError(f"{name} is empty")
    email = value.get("student_email") or None
    if email and not _EMAIL.fullmatch(email):
        raise ValueError(f"student_email {email!r} is not an email address")
    return RosterRow(
        line,
        value["student_number"],
        value["first_name"],
        value["last_name"],
        _birth_date(value["birth_date"], today),
        value["group"],
        email.lower() if email else None,
        tuple(g for slot in guardian_slots if (g := _guardian(value, slot))),
    )


def _birth_date(text: str, today: date) -> date:
    for layout in _DATE_FORMATS:
        try:
            born = datetime.strptime(text, layout).date()
        except ValueError:
            continue
        if born > today or born.year < 1900:
            raise ValueError(f"birth_date {text!r} is not a plausible birth date")
        return born
    raise ValueError(f"birth_date {text!r} is not a date (use YYYY-MM-DD or DD-MM-YYYY)")


def _guardian(value: dict[str, str], slot: int) -> GuardianRow | None:
    name, email = value.get(f"guardian{slot}_name", ""), value.get(f"guardian{slot}_email", "")
    relation = value.get(f"guardian{slot}_relation") or None
    if not name and not email:
        return None
    if not name or not email:
        raise ValueError(f"guardian{slot} needs both a name and an email")
    if not _EMAIL.fullmatch(email):
        raise ValueError(f"guardian{slot}_email {email!r} is not an email address")
    return GuardianRow(name, email.lower(), relation)


def _check_consistency(row: RosterRow, numbers: dict[str, int], guardian_names: dict[str, tuple[str, int]]) -> None:
    """One student per number, one name per guardian email, each guardian once per student."""
    if row.student_number in numbers:
        raise ValueError(f"student_number {row.student_number} is also on line {numbers[row.student_number]}")
    emails = [g.email for g in row.guardians]
    if len(set(emails)) < len(emails):
        raise ValueError("the same guardian email appears twice for this student")
    for guardian in row.guardians:
        name, line = guardian_names.get(guardian.email, (guardian.name, row.line))
        if name != guardian.name:
            raise ValueError(f"guardian {guardian.email} is named {guardian.name!r} here but {name!r} on line {line}")
    numbers[row.student_number] = row.line
    for guardian in row.guardians:
        guardian_names.setdefault(guardian.email, (guardian.name, row.line))

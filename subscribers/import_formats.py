"""What other newsletter tools' export files mean: one home for their vocabularies.

An export is recognised by its header row and read through a column mapping (source
column → one of FIELDS). Each row then says one of three things about the person:
they left (held: never emailed, like a suppression), they consented (active, with the
column that proves it), or nothing either way (pending, invited only on request).
A column the mapping does not name is never read, so a field absent from the file is
left alone by the import.
"""

import csv
import io
from dataclasses import dataclass

from subscribers import csv_format
from subscribers.csv_format import UnreadableFile

# The fields a column can feed. first_name/last_name are joined into `name`.
EMAIL = "email"
NAME = "name"
FIRST_NAME = "first_name"
LAST_NAME = "last_name"
LANGUAGE = "language"
FREQUENCY = csv_format.FREQUENCY  # daily, weekly or both
CATEGORIES = "categories"
CONSENTED = "consented"  # yes/no
STATUS = "status"  # a status word of any known tool
SUBSCRIBED = "subscribed"  # true/false: still receiving (Ghost)
DISABLED = "email_disabled"  # true/false: no longer receiving (Substack)
CONFIRMED_AT = "confirmed_at"  # a time: confirmed opt-in
UNSUBSCRIBED_AT = "unsubscribed_at"  # a time: left
CLEANED_AT = "cleaned_at"  # a time: removed after bounces
IGNORE = "ignore"
FIELDS = (
    EMAIL,
    NAME,
    FIRST_NAME,
    LAST_NAME,
    LANGUAGE,
    FREQUENCY,
    CATEGORIES,
    CONSENTED,
    STATUS,
    SUBSCRIBED,
    DISABLED,
    CONFIRMED_AT,
    UNSUBSCRIBED_AT,
    CLEANED_AT,
)

# What a row says about the person.
ACTIVE = "active"
PENDING = "pending"
UNSUBSCRIBED = "unsubscribed"  # held
BOUNCED = "bounced"  # held
COMPLAINED = "complained"  # held
HELD = frozenset({UNSUBSCRIBED, BOUNCED, COMPLAINED})

# Status words of Mailchimp, listmonk, Buttondown, Ghost, Korean tools and our own
# export, casefolded. Paid or trial subscribers of Buttondown are receiving too.
STATUS_WORDS = {
    **dict.fromkeys(
        [
            "active",
            "subscribed",
            "enabled",
            "confirmed",
            "regular",
            "premium",
            "gifted",
            "trialed",
            "churning",
            "past_due",
            "complimentary",
            "구독",
            "구독중",
            "구독 중",
            "수신",
            "수신동의",
            "정상",
        ],
        ACTIVE,
    ),
    **dict.fromkeys(
        [
            "pending",
            "unconfirmed",
            "unactivated",
            "transactional",
            "대기",
            "확인 대기",
            "미인증",
        ],
        PENDING,
    ),
    **dict.fromkeys(
        [
            "unsubscribed",
            "disabled",
            "blocklisted",
            "blacklisted",
            "removed",
            "archived",
            "수신거부",
            "수신 거부",
            "구독취소",
            "구독 취소",
            "구독해지",
            "탈퇴",
        ],
        UNSUBSCRIBED,
    ),
    **dict.fromkeys(["cleaned", "bounced", "반송"], BOUNCED),
    **dict.fromkeys(["complained", "spammy", "spam"], COMPLAINED),
}
_TRUE = {"true", "yes", "y", "1", "t", "예", "네"}
_FALSE = {"false", "no", "n", "0", "f", "아니오", "아니요"}


@dataclass(frozen=True)
class Format:
    key: str
    label: str
    # Every one of these (casefolded) headers must be present.
    requires: frozenset[str]
    columns: dict[str, str]  # casefolded header → field
    # What a row means when no column says anything: the tool's export lists only
    # people receiving (Substack) or says nothing of consent (ours, Korean tools).
    listed_means: str = PENDING


FORMATS = (
    Format(
        "mailchimp",
        "Mailchimp",
        frozenset({"email address", "confirm_time"}),
        {
            "email address": EMAIL,
            "first name": FIRST_NAME,
            "last name": LAST_NAME,
            "confirm_time": CONFIRMED_AT,
            "unsub_time": UNSUBSCRIBED_AT,
            "clean_time": CLEANED_AT,
        },
    ),
    Format(
        "substack",
        "Substack",
        frozenset({"email", "active_subscription", "email_disabled"}),
        {"email": EMAIL, "email_disabled": DISABLED},
        listed_means=ACTIVE,
    ),
    Format(
        "ghost",
        "Ghost",
        frozenset({"email", "subscribed_to_emails"}),
        {"email": EMAIL, "name": NAME, "subscribed_to_emails": SUBSCRIBED},
    ),
    Format(
        "buttondown",
        "Buttondown",
        frozenset({"email", "subscriber_type"}),
        {"email": EMAIL, "subscriber_type": STATUS},
    ),
    Format(
        "listmonk",
        "listmonk",
        frozenset({"email", "status", "attributes"}),
        {"email": EMAIL, "name": NAME, "status": STATUS},
    ),
    Format(
        "korean",
        "Korean newsletter tool",
        frozenset({"이메일"}),
        {
            "이메일": EMAIL,
            "이메일 주소": EMAIL,
            "이메일주소": EMAIL,
            "이름": NAME,
            "상태": STATUS,
            "구독 상태": STATUS,
            "구독상태": STATUS,
            "언어": LANGUAGE,
            "수신 빈도": FREQUENCY,
            "빈도": FREQUENCY,
            "카테고리": CATEGORIES,
        },
    ),
    Format(
        "csv",
        "CSV",
        frozenset({"email"}),
        {
            "email": EMAIL,
            "name": NAME,
            "categories": CATEGORIES,
            "language": LANGUAGE,
            "frequency": FREQUENCY,
            "consented": CONSENTED,
            "status": STATUS,
        },
    ),
)
BY_KEY = {f.key: f for f in FORMATS}
CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: the mapped fields' cells, trimmed; `line` is where it starts."""

    line: int
    email: str
    cells: dict[str, str]


@dataclass
class Table:
    header: list[str]
    records: list[tuple[int, list[str]]]


def _key(header: str) -> str:
    key = " ".join(header.strip().casefold().split())
    # "이메일 주소" and "이메일주소" are one Korean header; Mailchimp's are spaced.
    return "이메일" if key in {"이메일 주소", "이메일주소"} else key


def read_table(data: bytes, *, limit: int | None = None) -> Table:
    """The header and non-empty records (the first `limit` of them) of a CSV file;
    UnreadableFile if it is not one."""
    text = csv_format.decode(data)
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in locales with a decimal comma save with semicolons.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader)]
        records = []
        line = reader.line_num + 1
        for record in reader:
            if "".join(record).strip():
                records.append((line, record))
                if len(records) == limit:
                    break
            line = reader.line_num + 1
    except csv.Error as exc:
        raise UnreadableFile(
            f"Line {reader.line_num}: this is not valid CSV ({exc})."
        ) from None
    if not records:
        raise UnreadableFile("The file has a header row but no subscribers.")
    return Table(header, records)


def detect(header: list[str]) -> tuple[Format | None, dict[str, str]]:
    """The tool whose export has this header, and its mapping (header as written →
    field); (None, {}) when no known tool's."""
    keys = {_key(h) for h in header}
    for fmt in FORMATS:
        if fmt.requires <= keys:
            mapping = {}
            for h in header:
                field = fmt.columns.get(" ".join(h.strip().casefold().split()))
                if field and field not in mapping.values():
                    mapping[h] = field
            return fmt, mapping
    return None, {}


def parse_columns(pairs: list[str], header: list[str]) -> dict[str, str]:
    """`SOURCE=FIELD` options as a mapping; ValueError names the fix."""
    by_key = {_key(h): h for h in header}
    mapping = {}
    for pair in pairs:
        source, sep, field = pair.rpartition("=")
        source, field = source.strip(), field.strip().lower()
        if not sep or not source:
            raise ValueError(f"--column {pair!r}: write it as SOURCE=FIELD.")
        if field not in (*FIELDS, IGNORE):
            raise ValueError(
                f"--column {pair!r}: {field!r} is not a field; use one of "
                f"{', '.join(FIELDS)} or {IGNORE}."
            )
        found = source if source in header else by_key.get(_key(source))
        if found is None:
            raise ValueError(
                f"--column {pair!r}: the file has no column {source!r} "
                f"(it has: {', '.join(header)[:300]})."
            )
        mapping[found] = field
    return mapping


def check_mapping(mapping: dict[str, str], header: list[str]) -> dict[str, str]:
    """The mapping without ignored columns; UnreadableFile names what is wrong."""
    used = {s: f for s, f in mapping.items() if f != IGNORE and s in header}
    fields = list(used.values())
    if EMAIL not in fields:
        found = ", ".join(h for h in header if h) or "nothing"
        raise UnreadableFile(
            "No column holds the email address: choose which one does "
            f"(--column SOURCE=email; the file's columns: {found[:200]})."
        )
    twice = sorted({f for f in fields if fields.count(f) > 1})
    if twice:
        raise UnreadableFile(
            f"More than one column is mapped to {', '.join(twice)}: keep one."
        )
    return used


def rows(table: Table, mapping: dict[str, str]) -> list[Row]:
    where = {field: table.header.index(src) for src, field in mapping.items()}
    email_at = where.pop(EMAIL)
    result = []
    for line, record in table.records:
        cells = {
            field: record[i].strip() if i < len(record) else ""
            for field, i in where.items()
        }
        email = record[email_at].strip() if email_at < len(record) else ""
        result.append(Row(line, csv_format.unescape_cell(email), cells))
    return result


def row_name(cells: dict[str, str]) -> str | None:
    """The person's name, or None when the file has no name column (leave it)."""
    if NAME in cells:
        return cells[NAME][:200] or None
    if FIRST_NAME in cells or LAST_NAME in cells:
        parts = (cells.get(FIRST_NAME, ""), cells.get(LAST_NAME, ""))
        return " ".join(p for p in parts if p)[:200] or None
    return None


def fix_for(field: str) -> str:
    """How to correct a cell `row_state` could not read."""
    if field == STATUS:
        return (
            "use a status word such as subscribed, unsubscribed, cleaned, pending, "
            "구독 or 수신거부, or set the column to ignore"
        )
    return "use yes or no (true/false, 1/0, 예/아니오), or set the column to ignore"


def _truth(value: str) -> bool | None:
    word = value.strip().casefold()
    return True if word in _TRUE else False if word in _FALSE else None


def row_state(cells: dict[str, str], listed_means: str) -> tuple[str, str, str]:
    """(state, field that says so, its value); ValueError for a word no tool uses.

    Leaving outranks consent: a person who unsubscribed is never mailed, whatever
    another column says.
    """
    held, active, pending = [], [], []
    if cells.get(CLEANED_AT):
        held.append((BOUNCED, CLEANED_AT))
    if cells.get(UNSUBSCRIBED_AT):
        held.append((UNSUBSCRIBED, UNSUBSCRIBED_AT))
    for field, leaves_when in ((DISABLED, True), (SUBSCRIBED, False)):
        if field in cells and cells[field]:
            truth = _truth(cells[field])
            if truth is None:
                raise ValueError(field)
            (held if truth == leaves_when else active).append(
                (UNSUBSCRIBED if truth == leaves_when else ACTIVE, field)
            )
    if cells.get(STATUS):
        state = STATUS_WORDS.get(" ".join(cells[STATUS].casefold().split()))
        if state is None:
            raise ValueError(STATUS)
        {ACTIVE: active, PENDING: pending}.get(state, held).append((state, STATUS))
    if cells.get(CONSENTED):
        truth = _truth(cells[CONSENTED])
        if truth is None:
            raise ValueError(CONSENTED)
        (active if truth else pending).append((ACTIVE if truth else PENDING, CONSENTED))
    if cells.get(CONFIRMED_AT):
        active.append((ACTIVE, CONFIRMED_AT))
    for found in (held, active, pending):
        if found:
            state, field = found[0]
            return state, field, cells[field]
    return listed_means, "", ""

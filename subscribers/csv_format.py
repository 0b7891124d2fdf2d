"""The subscriber list as a CSV file: what editors' spreadsheets save and open.

One vocabulary for the import and the export (columns, encodings, the category
separator), so a file the export writes is a file the import reads back unchanged;
other tools' columns and words are in subscribers.import_formats.
"""

import csv
import re

from django.conf import settings
from django.utils import translation

from subscribers.models import Subscriber

EMAIL = "email"
CATEGORIES = "categories"
LANGUAGE = "language"
CONSENTED = "consented"
FREQUENCY = "frequency"
EXPORT_COLUMNS = (
    EMAIL,
    CATEGORIES,
    LANGUAGE,
    "status",
    CONSENTED,
    "created_at",
    "confirmed_at",
    "unsubscribed_at",
    "name",
    FREQUENCY,
)
CATEGORY_SEPARATOR = "|"
# Excel saves "CSV UTF-8" with a BOM; Korean Excel's plain "CSV" is CP949 (a
# superset of EUC-KR). UTF-8 is tried first: CP949 would accept many UTF-8 files
# as mojibake, the other way round almost never happens.
ENCODINGS = ("utf-8-sig", "cp949")

# Control characters never found in a text file; tab, CR and LF are fine.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@")


class UnreadableFile(ValueError):
    """The file as a whole cannot be imported; the message tells the editor why."""


def decode(data: bytes) -> str:
    if not data.strip():
        raise UnreadableFile("The file is empty.")
    if b"\0" in data:
        raise UnreadableFile(
            "This is not a text file (an Excel workbook?). "
            "Save it as CSV (UTF-8 or Korean CP949) and upload it again."
        )
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _BINARY.search(text):
            raise UnreadableFile(
                "The file contains control characters: it is not a CSV text file."
            )
        return text
    raise UnreadableFile(
        "The file is neither UTF-8 nor CP949/EUC-KR text. "
        "Save it as “CSV UTF-8” and upload it again."
    )


def format_consent(consented: bool) -> str:
    return "yes" if consented else "no"


def parse_language(value: str) -> str | None:
    """The language code a cell names ("ko", "EN", "한국어"); empty is the default.

    None when the cell names no language the site has.
    """
    word = value.strip().lower()
    if not word:
        return settings.LANGUAGE_CODE
    for code, label in settings.LANGUAGES:
        if word in {code.lower(), str(label).lower()}:
            return code
    return None


def frequency_words() -> dict[str, str]:
    """Every word a frequency cell may hold, casefolded, to its stored value: the
    value itself ("weekly", as the export writes it) and its label in each site
    language ("Weekly", "매주")."""
    words = {}
    for value, label in Subscriber.Frequency.choices:
        words[value] = value
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                words[str(label).casefold()] = value
    return words


def parse_frequency(value: str) -> str | None:
    """The frequency a cell names; empty is the default (daily). None when the cell
    names no frequency."""
    word = " ".join(value.split()).casefold()
    if not word:
        return Subscriber.Frequency.DAILY
    return frequency_words().get(word)


def split_categories(value: str) -> list[str]:
    return [part.strip() for part in value.split(CATEGORY_SEPARATOR) if part.strip()]


def join_categories(slugs: list[str]) -> str:
    return CATEGORY_SEPARATOR.join(slugs)


def escape_cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def unescape_cell(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def write_line(stream, cells) -> str:
    """Write one CSV line to `stream`; returns what its write() returned."""
    return csv.writer(stream).writerow([escape_cell(cell) for cell in cells])


def write_rows(rows, stream) -> None:
    """Write the header and `rows` (lists of strings) to a text stream."""
    writer = csv.writer(stream)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows([escape_cell(cell) for cell in row] for row in rows)

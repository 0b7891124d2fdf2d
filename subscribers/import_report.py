"""The import report in words: one home for what the command prints and the admin
shows, so both say the same thing."""

from subscribers import import_formats as formats


def source_label(format_key: str) -> str:
    fmt = formats.BY_KEY.get(format_key)
    return f"{fmt.label} export" if fmt else "CSV read with your column mapping"


def summary(report: dict) -> str:
    counts = (
        f"{report['created']:,} created, {report['updated']:,} updated, "
        f"{report['unchanged']:,} unchanged, {report['held']:,} held (never "
        f"emailed), {report['rejected']:,} rejected"
    )
    pending = report.get("pending", 0)
    if report.get("invited"):
        return f"{counts}; {report['invited']:,} invitations to confirm queued"
    if pending:
        return f"{counts}; {pending:,} pending: not emailed until invited"
    return counts


def line_text(entry: list) -> str:
    line, email, outcome, detail = entry
    return f"line {line}: {email}: {outcome}" + (f" ({detail})" if detail else "")

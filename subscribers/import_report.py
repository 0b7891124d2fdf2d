"""The import report in words: one home for what the command prints and the admin
shows, so both say the same thing (the admin in the editor's language, the command
in English)."""

from django.utils.translation import gettext

from subscribers import import_formats as formats


def source_label(format_key: str) -> str:
    fmt = formats.BY_KEY.get(format_key)
    if fmt is None:
        return gettext("CSV read with your column mapping")
    return gettext("%(tool)s export") % {"tool": fmt.label}


def summary(report: dict) -> str:
    counts = gettext(
        "%(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
        "%(held)s held (never emailed), %(rejected)s rejected"
    ) % {
        name: f"{report[name]:,}"
        for name in ("created", "updated", "unchanged", "held", "rejected")
    }
    pending = report.get("pending", 0)
    invited = report.get("invited", 0)
    if invited:
        return gettext("%(counts)s; %(n)s invitations to confirm queued") % {
            "counts": counts,
            "n": f"{invited:,}",
        }
    if pending:
        return gettext("%(counts)s; %(n)s pending: not emailed until invited") % {
            "counts": counts,
            "n": f"{pending:,}",
        }
    return counts


def line_text(entry: list) -> str:
    line, email, outcome, detail = entry
    return f"line {line}: {email}: {outcome}" + (f" ({detail})" if detail else "")

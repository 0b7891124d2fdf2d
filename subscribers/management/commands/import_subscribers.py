from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from subscribers import import_formats, import_report, import_runs, imports


class Command(BaseCommand):
    help = (
        "Import subscribers from a CSV file: an export of Mailchimp, Substack, Ghost, "
        "listmonk, Buttondown or a Korean tool as it is, our own columns (email, "
        "name, categories, language, consented, status), or any file with --column. "
        "All or nothing; the import emails nobody; importing the same file again "
        "changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--column",
            action="append",
            default=[],
            metavar="SOURCE=FIELD",
            help="Read the file's column SOURCE as FIELD (repeatable): one of "
            f"{', '.join(import_formats.FIELDS)}, or {import_formats.IGNORE}.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show the full report and change nothing.",
        )
        parser.add_argument(
            "--invite",
            action="store_true",
            help="Email the rows without consent evidence a confirmation link, in "
            "rate-limited chunks (otherwise they stay pending and get nothing).",
        )

    def handle(self, *args, **options):
        # The command speaks English, as its help does; the admin shows the same
        # report in the editor's language.
        with translation.override("en"):
            self._import(**options)

    def _import(self, *, file: Path, column, dry_run, invite, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        try:
            header = import_formats.read_table(data, limit=1).header
            mapping = import_formats.parse_columns(column, header)
            if dry_run:
                report = imports.import_file(
                    data, overrides=mapping, file_name=file.name, dry_run=True
                )
            else:
                report = self._apply(data, file.name, mapping, invite)
        except (imports.UnreadableFile, ValueError) as exc:
            raise CommandError(f"{file}: {exc} Nothing was imported.") from None
        for entry in report["lines"]:
            self.stdout.write(import_report.line_text(entry))
        self.stdout.write(
            f"{file.name}: {import_report.source_label(report['format'])}"
        )
        done = import_report.summary(report)
        if dry_run:
            done = f"Dry run, nothing was changed. Would do: {done}"
        self.stdout.write(self.style.SUCCESS(done))

    def _apply(self, data: bytes, file_name: str, mapping: dict, invite: bool):
        """The admin's steps in one go: store, preview, apply that preview."""
        job = import_runs.create_import(data, file_name=file_name, mapping=mapping)
        job = import_runs.preview_then_apply(job, invite=invite)
        if job.error:
            raise CommandError(f"{file_name}: {job.error}")
        return job.report

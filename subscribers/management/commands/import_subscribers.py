from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from subscribers import imports


class Command(BaseCommand):
    help = (
        "Import subscribers from a CSV file (columns email, categories, language, "
        "consented). All or nothing; importing the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        try:
            job = imports.create_import(data, file_name=file.name)
        except imports.UnreadableFile as exc:
            raise CommandError(f"{file}: {exc} Nothing was imported.") from None
        job = imports.run_import(job.id)
        if job.error:
            raise CommandError(f"{file}: {job.error}")
        report = job.report
        for skipped in report["skipped"]:
            detail = f" ({skipped['detail']})" if skipped.get("detail") else ""
            self.stdout.write(
                f"line {skipped['line']}: {skipped['email']}: "
                f"{skipped['reason']}{detail}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{report['created']} created, {report['updated']} updated, "
                f"{report['unchanged']} unchanged, {len(report['skipped'])} skipped; "
                f"{report['confirmations_queued']} confirmation emails queued"
            )
        )

"""The first thing a new user runs: the whole daily pipeline on the embedded default.

Offline (default): the sample corpus is served from 127.0.0.1 by a throwaway HTTP
server, so ingestion takes the production path (HTTP fetch → feedparser → article
extraction). --online reads the real default sources instead.
"""

import secrets
from contextlib import ExitStack
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from ingestion import sample
from ingestion.models import Source
from lib.locale import in_language
from newsletter import daily, export, services
from newsletter.drafting import translation
from newsletter.management.commands._dates import parse_day
from newsletter.models import Category, Delivery
from subscribers.models import Subscriber

# Readers with different tastes, so the outbox shows per-subscriber filtering: alice
# gets News and Papers in one email, bob and minji News only, dana Papers only.
DEMO_SUBSCRIBERS = [
    ("alice@example.com", "ko", []),  # everything
    ("bob@example.com", "en", ["llm", "inference", "research"]),
    ("minji@example.kr", "ko", ["ai-business", "policy-safety"]),
    (
        "carol@example.org",
        "en",
        ["multimodal", "robotics-agents", "training", "papers-multimodal"],
    ),
    ("dana@example.org", "en", ["papers-llm", "papers-nlp", "papers-alignment"]),
]

DEMO_ADMIN_EMAIL = "admin@localhost"


class Command(BaseCommand):
    help = "Run the whole daily pipeline once against the sample corpus (or --online)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help="digest date YYYY-MM-DD (default: the sample's own day, or today "
            "with --online)",
        )
        parser.add_argument(
            "--online", action="store_true", help="read the real default sources"
        )
        parser.add_argument(
            "--snapshot",
            default=sample.SNAPSHOTS[-1],
            choices=sample.SNAPSHOTS,
            help="which sample day to serve offline",
        )

    def handle(self, *args, date=None, online=False, snapshot=None, **options):
        # The sample is a day in the past: its digest is that day's, so the window
        # (DIGEST_WINDOW_HOURS up to the end of the day) holds the sample's news.
        day = parse_day(date or (None if online else snapshot))
        services.load_defaults(activate_sources=online)
        login = self._admin_login()
        self._demo_subscribers()
        run = self._run_day(day, online=online, snapshot=snapshot)
        self._report_news(run)
        self._report_papers(run)
        say = self.stdout.write
        say(f"  database:        {settings.DATABASES['default']['NAME']}")
        say("")
        say(
            "Browse it: make serve, then open http://127.0.0.1:8000/admin/ "
            f"(user {login[0]}, password {login[1]}) and http://127.0.0.1:8000/archive/"
        )

    def _run_day(self, day, *, online: bool, snapshot: str):
        """The daily run in this process, on the sample corpus served from loopback
        unless ``--online`` asks for the real feeds."""
        say = self.stdout.write
        with ExitStack() as stack:
            if online:
                Source.objects.filter(url__startswith="http://127.0.0.1").update(
                    is_active=False
                )
            else:
                site = stack.enter_context(sample.serve_corpus(snapshot))
                # The sample server is on loopback; production keeps the guard on.
                settings.INGEST_ALLOW_PRIVATE_HOSTS = True
                self._sample_sources(site)
                say(f"sample corpus {snapshot} served at {site.base_url}")
            out_dir = settings.VAR_DIR / "digests"
            return daily.run_in_process(
                day, export_dir=out_dir, progress=lambda m: say(f"  {m}")
            )

    def _report_news(self, run) -> None:
        say = self.stdout.write
        digest = run.digest
        deliveries = Delivery.objects.filter(digest=digest)
        sent = deliveries.filter(status=Delivery.Status.SENT).count()
        say("")
        say(self.style.SUCCESS(f"Digest {digest:} — {digest.get_status_display()}"))
        say(
            f"  sections: {digest.sections.count()}  ·  written by: {digest.generated_by or '-'}"
        )
        say(f"  stories: {self._story_line(digest)}")
        if digest.notes:
            say(f"  notes: {digest.notes}")
        say(
            f"  deliveries: {sent} sent of {deliveries.count()} (re-running sends nothing twice)"
        )
        say(f"  emails (.eml):   {settings.EMAIL_FILE_PATH}/")
        for language, email, path in self._editions(digest):
            say(f"    {language}  {email:<20} {path or '(not sent this run)'}")
        if run.export_path:
            say(f"  Markdown report: {run.export_path}")
            say(f"  chart:           {run.export_path.parent}/")
        say("  each edition:")
        for language, page, report in self._edition_places(digest, run.export_path):
            say(f"    {language}  web {page}")
            if report is not None:
                say(f"        report {report}")

    def _report_papers(self, run) -> None:
        say = self.stdout.write
        papers = run.papers_digest
        if papers is not None:
            say(self.style.SUCCESS(f"Digest {papers} — {papers.get_status_display()}"))
            say(
                f"  sections: {papers.sections.count()}  ·  written by: "
                f"{papers.generated_by or '-'}  ·  papers: "
                f"{sum(papers.category_counts.values())}"
            )
            alone = Delivery.objects.filter(
                digest=papers, status=Delivery.Status.SENT
            ).count()
            say(f"  sent on its own to {alone} reader(s) of Papers only.")
            say("  News readers got the day's Papers inside their News email.")
        if run.papers_export_path:
            say(f"  Markdown report: {run.papers_export_path}")

    def _story_line(self, digest) -> str:
        stories = list(digest.stories.annotate(n=Count("articles")))
        grouped = sum(1 for s in stories if s.n > 1)
        left_out = sum(1 for s in stories if s.is_left_out)
        return (
            f"{sum(s.n for s in stories)} articles in {len(stories)} stories "
            f"({grouped} with several sources, "
            f"{sum(s.is_follow_up for s in stories)} follow-ups, "
            f"{left_out} left out as already sent)"
        )

    def _editions(self, digest) -> list[tuple[str, str, Path | None]]:
        """(language, reader, their newest .eml) for each demo reader of the day,
        so both language editions are one click away."""
        folder = Path(settings.EMAIL_FILE_PATH)
        rows = []
        for email, _language, _slugs in DEMO_SUBSCRIBERS:
            subscriber = Subscriber.objects.filter(email=email).first()
            if subscriber is None:
                continue
            sent = Delivery.objects.filter(
                digest__date=digest.date,
                subscriber=subscriber,
                status=Delivery.Status.SENT,
            ).exists()
            files = sorted(folder.glob(f"*-{email}.eml")) if sent else []
            rows.append(
                (subscriber.reading_language, email, files[-1] if files else None)
            )
        return sorted(rows, key=lambda row: row[0])

    def _edition_places(
        self, digest, export_path: Path | None
    ) -> list[tuple[str, str, Path | None]]:
        """(language, archive page, Markdown report) of each language the digest
        is read in: the web page once it is sent, the report beside the default."""
        page = f"http://127.0.0.1:8000{digest.get_absolute_url()}"
        places = []
        for language in translation.edition_languages(digest.language):
            report = None
            if export_path is not None:
                report = export_path.parent / export.file_names(digest, language)[0]
            places.append((language, in_language(page, language), report))
        return places

    def _admin_login(self) -> tuple[str, str]:
        """A local editor account; the password is generated once and kept in var/.
        It has an address, so the digest page's test send works at once: the local
        host's (as DEFAULT_FROM_EMAIL is), which Django's validators accept, a local
        SMTP server delivers to a local mailbox, and no outside server ever takes
        for a real person's."""
        User = get_user_model()
        User.objects.filter(username="admin", email="").update(email=DEMO_ADMIN_EMAIL)
        secret_file = settings.VAR_DIR / "demo-admin-password.txt"
        if secret_file.exists() and User.objects.filter(username="admin").exists():
            return "admin", secret_file.read_text().strip()
        password = secrets.token_urlsafe(9)
        user, _ = User.objects.get_or_create(
            username="admin",
            defaults={
                "is_staff": True,
                "is_superuser": True,
                "email": DEMO_ADMIN_EMAIL,
            },
        )
        user.set_password(password)
        user.save()
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        secret_file.write_text(password + "\n")
        return "admin", password

    @transaction.atomic
    def _demo_subscribers(self) -> None:
        for email, language, slugs in DEMO_SUBSCRIBERS:
            subscriber, created = Subscriber.objects.get_or_create(
                email=email,
                defaults={
                    "status": Subscriber.Status.ACTIVE,
                    "language": language,
                    "confirmed_at": timezone.now(),
                },
            )
            if created:
                subscriber.categories.set(Category.objects.filter(slug__in=slugs))

    def _sample_sources(self, site) -> None:
        """One Source per sample feed; its URL follows the server's port of this run."""
        Source.objects.exclude(name__in=[f.name for f in site.feeds]).update(
            is_active=False
        )
        for feed in site.feeds:
            Source.objects.update_or_create(
                name=feed.name,
                defaults={
                    "url": feed.url,
                    "language": feed.language,
                    "kind": feed.kind,
                    "weight": feed.weight,
                    "is_aggregator": feed.is_aggregator,
                    "is_active": True,
                    "paused_at": None,
                    "consecutive_failures": 0,
                    # A new port is a new URL: validators of the old one don't apply.
                    "etag": "",
                    "last_modified": "",
                },
            )

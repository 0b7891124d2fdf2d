import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from newsletter.models import Delivery


def new_token_key() -> str:
    """A fresh random key for a subscriber's links (see subscribers.tokens)."""
    return secrets.token_urlsafe(16)


def reading_language(code: str | None) -> str:
    """The language a reader with this stored code gets: the code when it is one of
    the site's languages, else the digest's default (a code left by an older release
    or an import must not break a send)."""
    return code if code in dict(settings.LANGUAGES) else settings.DIGEST_LANGUAGE


class SubscriberQuerySet(models.QuerySet):
    def receiving(self):
        """Who gets the next digest: confirmed, not paused, not suppressed."""
        return self.filter(status=Subscriber.Status.ACTIVE, is_paused=False)

    def reading(self, frequency: str):
        """Who chose this rhythm (``Subscriber.Frequency.DAILY`` or ``WEEKLY``):
        its readers and those who chose both."""
        return self.filter(frequency__in=(frequency, Subscriber.Frequency.BOTH))


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending confirmation")
        ACTIVE = "active", _("Active")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Complained")

    class Frequency(models.TextChoices):
        # Lazy labels: the sign-up and preferences pages speak the reader's language.
        DAILY = "daily", _("Every day")
        WEEKLY = "weekly", _("Every week")
        BOTH = "both", _("Both, daily and weekly")

    # Never mailed again without a fresh confirmation.
    SUPPRESSED = frozenset({Status.UNSUBSCRIBED, Status.BOUNCED, Status.COMPLAINED})

    email = models.EmailField(_("email address"), max_length=254)
    # Optional; greetings use it when set.
    name = models.CharField(_("name"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    # Empty means every category that is in the digest.
    categories = models.ManyToManyField(
        "newsletter.Category",
        blank=True,
        related_name="subscribers",
        verbose_name=_("categories"),
    )
    language = models.CharField(_("language"), max_length=5, default="ko")
    # Which editions reach them: the daily News (and Papers) email, the weekly one, or both.
    frequency = models.CharField(
        _("how often"),
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.DAILY,
    )
    is_paused = models.BooleanField(_("paused"), default=False)
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    soft_bounces = models.PositiveIntegerField(_("soft bounces"), default=0)
    last_bounce_at = models.DateTimeField(_("last bounce"), null=True, blank=True)
    # Why the address stopped receiving: user, one-click, bounce, complaint, esp,
    # admin, import (the tool a list came from said so), or lifted (an admin lifted
    # a suppression; a new sign-up may follow).
    unsubscribe_reason = models.CharField(
        _("why it stopped"), max_length=20, blank=True
    )
    # What links in emails carry instead of the id and address: random, so a link says
    # nothing about whom it belongs to, and an erased row's links die with it.
    token_key = models.CharField(
        max_length=32, unique=True, default=new_token_key, editable=False
    )
    # Why an address an editor added was active without a confirmation email: the
    # editor's note on the person's own consent, who recorded it and when.
    consent_evidence = models.TextField(
        _("evidence of consent"), blank=True, editable=False
    )
    # Where an imported row's status came from: the tool, file, line and the column
    # that proved consent (or said the person left), and when it was imported.
    import_evidence = models.TextField(_("import record"), blank=True)

    # Stops the person chose themselves: only these may they undo with one click.
    SELF_UNSUBSCRIBE_REASONS = frozenset({"user", "one-click"})
    # Stops decided for them, or by the tool an imported list came from (the
    # person left it): only an admin lifts these.
    IMPORT_REASON = "import"
    HELD_UNSUBSCRIBE_REASONS = frozenset({"admin", "esp", IMPORT_REASON})
    LIFTED_REASON = "lifted"

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["email"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        # Erasure removes the person and their delivery history for good.
        constraints = [
            models.UniqueConstraint(Lower("email"), name="unique_subscriber_email_ci"),
        ]
        permissions = [
            ("erase_subscriber", "Can erase a subscriber and their data"),
            ("lift_suppression", "Can lift a bounce, complaint or admin suppression"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def reading_language(self) -> str:
        """The language of this reader's emails and of the pages their links open."""
        return reading_language(self.language)

    @property
    def is_suppressed(self) -> bool:
        return self.status in self.SUPPRESSED

    @property
    def can_resubscribe(self) -> bool:
        """Whether the person may undo their stop with one click (`resubscribe`)."""
        return (
            self.status == self.Status.UNSUBSCRIBED
            and self.unsubscribe_reason in self.SELF_UNSUBSCRIBE_REASONS
        )

    @property
    def is_held(self) -> bool:
        """Suppressed by a bounce, a complaint, the ESP or an admin: no email of any
        kind (confirmation and "manage" included) until an admin lifts it."""
        if self.status in {self.Status.BOUNCED, self.Status.COMPLAINED}:
            return True
        return (
            self.status == self.Status.UNSUBSCRIBED
            and self.unsubscribe_reason in self.HELD_UNSUBSCRIBE_REASONS
        )


class DeletedDeliveryCount(models.Model):
    """What survives of erased subscribers' delivery history: counts, no identities.

    `delete_subscriber` folds the erased rows into one counter per (digest, status) so
    send statistics stay truthful after a right-to-erasure request.
    """

    digest = models.ForeignKey(
        "newsletter.Digest",
        on_delete=models.CASCADE,
        related_name="deleted_delivery_counts",
        verbose_name=_("digest"),
    )
    # A Delivery status, named as the deliveries' own list names it.
    status = models.CharField(
        _("status"), max_length=10, choices=Delivery.Status.choices
    )
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("deleted delivery count")
        verbose_name_plural = _("deleted delivery counts")
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "status"], name="one_deleted_count_per_status"
            )
        ]

    def __str__(self) -> str:
        return gettext("%(digest)s: %(count)s %(status)s (erased subscribers)") % {
            "digest": self.digest,
            "count": self.count,
            "status": self.get_status_display(),
        }


class TrackingEvent(models.Model):
    """ESP webhook events already applied; ESPs retry, so each is handled once."""

    # "<esp>:<event id>": ids are only unique within one ESP.
    event_id = models.CharField(_("event id"), max_length=255, unique=True)
    event_type = models.CharField(_("event type"), max_length=20)
    subscriber = models.ForeignKey(
        Subscriber,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tracking_events",
        verbose_name=_("subscriber"),
    )
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class RateCount(models.Model):
    """Attempts per key in one fixed window, shared by every web worker.

    Used for the sign-up limits when no shared cache (CACHE_URL) is configured; see
    `subscribers.ratelimits`. Rows of past windows are deleted as new ones start.
    """

    # sha256 of what is limited ("ip:198.51.100.0", "address:a@example.com").
    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rate count")
        verbose_name_plural = _("rate counts")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "window_start"], name="one_rate_count_per_window"
            )
        ]
        # The pruning DELETE of past windows.
        indexes = [models.Index(fields=["window_start"], name="rate_count_window")]

    def __str__(self) -> str:
        return f"{self.key[:12]}… {self.count} since {self.window_start}"


class ErasedAddress(models.Model):
    """A one-way hash of an address erased at the person's request, so that an
    import of an old list does not bring them back (see subscribers.erased)."""

    digest = models.CharField(max_length=64, unique=True)
    erased_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("erased address")
        verbose_name_plural = _("erased addresses")

    def __str__(self) -> str:
        return f"erased address {self.digest[:12]}…"


class SubscriberImport(models.Model):
    """One CSV file an editor brought in: its progress, then what it did row by row.

    The file itself is kept here until the import ends, so a worker on another host
    can read it; the report (counts and skipped lines) stays.
    """

    class Status(models.TextChoices):
        MAPPING = "mapping", _("Choose the columns")
        PREVIEWING = "previewing", _("Preparing the preview")
        PREVIEWED = "previewed", _("Preview ready: not applied")
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    file_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.MAPPING
    )
    # The tool whose export this is (subscribers.import_formats), or "custom".
    source_format = models.CharField(_("format"), max_length=20, blank=True)
    # Source column → field, as detected or as the editor chose it.
    mapping = models.JSONField(_("columns"), default=dict, blank=True)
    # The dry run's report; applying must produce exactly this one.
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    # {"rows", "created", "updated", "unchanged", "held", "rejected", "pending",
    #  "invited": int, "lines": [[line, email, outcome, detail], ...]}
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    data = models.BinaryField(default=bytes, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("subscriber import")
        verbose_name_plural = _("subscriber imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}


class SpentLink(models.Model):
    """A link that works once and was used: the sha256 of its token.

    The unsubscribe page's way on to the preferences page: unsubscribe links never
    expire, so each may hand out preferences access once; after that the page can
    only email a fresh link to the address on file.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    spent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("used link")
        verbose_name_plural = _("used links")

    def __str__(self) -> str:
        return f"{self.token_hash[:12]}… spent {self.spent_at}"


class SubscriberEmail(models.Model):
    """One email about a subscription (a confirmation, a welcome, a link asked for),
    written with the change that calls for it and kept until it is sent: the outbox
    (subscribers/outbox.py). A broker or relay that is down delays it, never loses it.
    """

    class Kind(models.TextChoices):
        CONFIRM = "confirm", _("Confirmation")
        WELCOME = "welcome", _("Welcome")
        MANAGE = "manage", _("Manage (signed up again while active)")
        # Asked for from a link: a fresh preferences link, or the short-lived access link.
        PREFERENCES_LINK = "preferences-link", _("Fresh preferences link")
        MANAGE_LINK = "manage-link", _("Access link (export, erase)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Not needed any more when its turn came: the address was held, or the
        # confirmation was no longer needed.
        SKIPPED = "skipped", _("Not sent")

    OPEN_STATUSES = (Status.PENDING, Status.SENDING)

    # Erasing the person erases what was queued for them.
    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.CASCADE,
        related_name="outbox",
        verbose_name=_("subscriber"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Not sent before this: an invitation's place in its chunk, or a retry's backoff.
    due_at = models.DateTimeField(_("due at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("subscription email")
        verbose_name_plural = _("subscription emails")
        # The sweeper's scan of what is still to send (outbox.due_ids, stale claims).
        indexes = [
            models.Index(
                fields=["status", "due_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="subscriber_email_open",
            )
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s to subscriber #%(id)s") % {
            "kind": self.get_kind_display(),
            "id": self.subscriber_id,
        }

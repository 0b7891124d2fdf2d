"""Every write a visitor, a webhook or an editor can trigger on subscribers.

Emails go out after the write commits (through `tasks`, inline when no broker is
configured), so a slow mail server never holds a row lock.
"""

import functools
import hashlib
import ipaddress
import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

import idna
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from newsletter.models import Category, Delivery, Feedback, received_category_ids
from subscribers import erased, erasure, outbox, ratelimits, tasks
from subscribers.models import (
    DeletedDeliveryCount,
    SpentLink,
    Subscriber,
    SubscriberEmail,
    TrackingEvent,
    reading_language,
)

logger = logging.getLogger(__name__)

Kind = SubscriberEmail.Kind

# Kinds `record_bounce` understands (what a tracking webhook reported).
HARD_BOUNCE = "hard"
SOFT_BOUNCE = "soft"
COMPLAINT = "complaint"
ESP_UNSUBSCRIBE = "unsubscribe"
BOUNCE_KINDS = {HARD_BOUNCE, SOFT_BOUNCE, COMPLAINT, ESP_UNSUBSCRIBE}

# A confirmation link may bring back an address in these states, unless it is held
# (bounced, complained, or unsubscribed by the ESP or an admin: `Subscriber.is_held`).
_REACTIVATABLE = {Subscriber.Status.PENDING, Subscriber.Status.UNSUBSCRIBED}


class IpLiteralAddress(ValueError):
    """An address at an IP literal (user@[127.0.0.1]): refused, it names no domain."""


def normalize_email(raw: str) -> str:
    """The stored form of an address: trimmed, domain in lower-case ASCII (an IDN
    domain becomes its punycode, so both spellings are one subscriber), validated.

    Raises ValueError for anything that is not one plain address at a domain name,
    including any control character (a newline in a header is how header injection
    starts), and IpLiteralAddress for an IP-literal domain.
    """
    if not isinstance(raw, str) or any(ch in raw for ch in "\r\n\0\t\x0b\x0c"):
        raise ValueError("invalid email address")
    address = raw.strip()
    if len(address) > 254 or "@" not in address:
        raise ValueError("invalid email address")
    local, _, domain = address.rpartition("@")
    if domain.startswith("[") or _is_ip(domain):
        raise IpLiteralAddress("email address at an IP address")
    domain = _ascii_domain(domain.removesuffix("."))
    if domain is None:
        raise ValueError("invalid email address")
    address = f"{local}@{domain}"
    try:
        validate_email(address)
    except ValidationError:
        raise ValueError("invalid email address") from None
    if len(address) > 254:
        raise ValueError("invalid email address")
    return address


# Names that never reach a mailbox on the internet (RFC 2606, RFC 6761, RFC 6762).
RESERVED_TLDS = frozenset({"localhost", "local", "test", "invalid", "example"})


class ReservedDomainAddress(ValueError):
    """An address at a name that is no public mail domain (user@localhost)."""


def normalize_signup_email(raw: str) -> str:
    """`normalize_email`, and refused when the domain is a single label or under a
    reserved top-level name: no confirmation email is sent to the site's own host
    or to a local network (ReservedDomainAddress)."""
    address = normalize_email(raw)
    domain = address.rpartition("@")[2].lower()
    if "." not in domain or domain.rsplit(".", 1)[1] in RESERVED_TLDS:
        raise ReservedDomainAddress("email address at a reserved domain")
    return address


@functools.lru_cache(maxsize=4096)
def _ascii_domain(domain: str) -> str | None:
    """The punycode form of a domain, None if it is not one. Cached: the addresses
    of an imported list share a few hundred domains, and IDNA checks are slow."""
    try:
        # UTS #46 mapping lower-cases and folds full-width dots, as browsers do.
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


@functools.lru_cache(maxsize=4096)
def _is_ip(domain: str) -> bool:
    try:
        ipaddress.ip_address(domain)
    except ValueError:
        return False
    return True


def _lookup_form(email: str) -> str:
    """How an address the ESP reports is found among the stored (normalised) ones."""
    try:
        return normalize_email(email)
    except ValueError:
        return email.strip()


def stored_category_ids(chosen: Iterable[int], offered: frozenset[int]) -> set[int]:
    """What to store for a choice of categories; empty means every digest category.

    A choice that `received_category_ids` reads as every category is stored as "all",
    so categories added later reach people who asked for everything.
    """
    received = received_category_ids(chosen, offered)
    return set() if received == offered else set(received)


def _set_categories(subscriber: Subscriber, categories: list[Category] | None) -> None:
    offered = Category.objects.offered_ids()
    chosen = stored_category_ids([c.id for c in categories or []], offered)
    if chosen:
        subscriber.categories.set(chosen)
    else:
        subscriber.categories.clear()


def _language(language: str | None) -> str:
    return reading_language(language)


def _within_limits(address: str, *, ip: str | None, what: str) -> bool:
    """Count one emailing request against the per-IP and per-address sign-up limits."""
    if ip and not ratelimits.within_rate(
        ratelimits.client_key(ip), limit=settings.SUBSCRIBE_RATE_PER_IP
    ):
        logger.warning("%s rate limit reached for an IP address", what)
        return False
    site = ratelimits.site_key(ip) if ip else None
    if site and not ratelimits.within_rate(
        site, limit=settings.SUBSCRIBE_RATE_PER_IPV6_SITE
    ):
        logger.warning("%s rate limit reached for an IPv6 /48", what)
        return False
    if not ratelimits.within_rate(
        ratelimits.address_key(address), limit=settings.SUBSCRIBE_RATE_PER_ADDRESS
    ):
        logger.warning("%s rate limit reached for an address", what)
        return False
    return True


def subscribe(
    email: str,
    *,
    categories: list[Category] | None,
    language: str,
    frequency: str = Subscriber.Frequency.DAILY,
    ip: str | None = None,
) -> None:
    """Start a subscription. The caller shows the same answer whatever happens here.

    New or unsubscribed address: a confirmation email (double opt-in). Active address:
    a "manage your subscription" email instead. Over a rate limit, or an address
    held by a bounce, a complaint, the ESP or an admin: nothing is sent.
    Raises ValueError only for an address that is not valid or at a reserved domain.
    """
    address = normalize_signup_email(email)
    if not _within_limits(address, ip=ip, what="subscribe"):
        return

    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update().filter(email__iexact=address).first()
        )
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = Subscriber.objects.create(
                        email=address, language=_language(language)
                    )
            except IntegrityError:  # a concurrent request created it first
                subscriber = Subscriber.objects.select_for_update().get(
                    email__iexact=address
                )
        if subscriber.is_held:
            # Not even a confirmation: only an admin lifts this (`lift_suppression`).
            logger.info("sign-up for held subscriber %s: nothing sent", subscriber.id)
            return
        if subscriber.status == Subscriber.Status.ACTIVE:
            kind = Kind.MANAGE
        else:
            # Not receiving anything yet: the choices take effect only on confirmation.
            subscriber.language = _language(language)
            subscriber.frequency = frequency
            subscriber.save(update_fields=["language", "frequency"])
            _set_categories(subscriber, categories)
            kind = Kind.CONFIRM
        queued = outbox.record([subscriber.id], kind)
    # Committed here (a request's outermost block); a caller holding a larger
    # transaction only leaves the row to the sweeper, which sends it minutes later.
    tasks.enqueue(queued)


def admit_added_subscriber(
    subscriber_id: int, *, consent_note: str = "", actor=None
) -> Subscriber:
    """What follows an editor adding an address by hand (the row is saved pending).

    With a note on the person's own consent (where and when they gave it), the
    address is active at once and the note is kept, with who recorded it; without
    one it is an ordinary sign-up: the confirmation email, counted as one.
    """
    note = consent_note.strip()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(id=subscriber_id)
        if subscriber.status != Subscriber.Status.PENDING:
            return subscriber
        if not note:
            send_confirmation_emails([subscriber])
            return subscriber
        now = timezone.now()
        who = actor.get_username() if actor is not None else "an editor"
        subscriber.status = Subscriber.Status.ACTIVE
        subscriber.confirmed_at = now
        subscriber.consent_evidence = (
            f"{note}\n(recorded by {who}, {now.isoformat(timespec='seconds')})"
        )
        subscriber.save(update_fields=["status", "confirmed_at", "consent_evidence"])
    return subscriber


def send_confirmation_emails(subscribers: list[Subscriber]) -> int:
    """Ask new pending subscribers to confirm, once the caller's transaction commits.

    The per-address rate limit applies as for a sign-up; returns how many emails
    were queued (one callback for the whole list, so a large import stays fast).
    """
    allowed = [
        s.id
        for s in subscribers
        if ratelimits.within_rate(
            ratelimits.address_key(s.email), limit=settings.SUBSCRIBE_RATE_PER_ADDRESS
        )
    ]
    queued = outbox.record(allowed, Kind.CONFIRM)
    transaction.on_commit(lambda: tasks.enqueue(queued))
    return len(queued)


def send_fresh_link(subscriber_id: int, *, kind: str, ip: str | None = None) -> None:
    """Email the subscriber a link they asked for from one of ours: a fresh
    preferences link for an expired one, or the short-lived link that may export or
    erase. Counted against the same limits as sign-up; the caller's answer is the
    same whatever happens here.
    """
    if kind not in (Kind.PREFERENCES_LINK, Kind.MANAGE_LINK):
        raise ValueError(f"unknown link email {kind!r}")
    subscriber = Subscriber.objects.filter(id=subscriber_id).first()
    if subscriber is None:
        return
    if not _within_limits(subscriber.email, ip=ip, what="link request"):
        return
    tasks.enqueue(outbox.record([subscriber.id], kind))


def spend_link(token: str) -> bool:
    """Mark a once-only link used; False when it was used before."""
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    try:
        with transaction.atomic():
            SpentLink.objects.create(token_hash=token_hash)
    except IntegrityError:
        return False
    return True


def can_confirm(subscriber: Subscriber, *, issued_at: datetime | None) -> bool:
    """Whether a confirmation link signed at `issued_at` may activate this row.

    Read-only, so the page a link opens can tell the truth before anyone presses
    the button.
    """
    if subscriber.is_held or subscriber.status not in _REACTIVATABLE:
        return False
    stopped = subscriber.unsubscribed_at
    # Token times have whole seconds: a link signed in the same second as the
    # unsubscribe counts as newer.
    return not (
        stopped and (issued_at is None or issued_at + timedelta(seconds=1) <= stopped)
    )


def confirm_subscription(
    subscriber_id: int, *, email: str, issued_at: datetime | None = None
) -> Subscriber | None:
    """Activate the subscriber a confirmation link names; idempotent.

    None when the link does not match a row, or when it was signed before the address
    last stopped receiving (an old link must not undo an unsubscribe). The welcome
    email goes out on the first activation only.
    """
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update()
            .filter(id=subscriber_id, email__iexact=email)
            .first()
        )
        if subscriber is None:
            return None
        if subscriber.status == Subscriber.Status.ACTIVE:
            return subscriber
        if not can_confirm(subscriber, issued_at=issued_at):
            return None
        subscriber.status = Subscriber.Status.ACTIVE
        subscriber.confirmed_at = timezone.now()
        subscriber.unsubscribed_at = None
        subscriber.unsubscribe_reason = ""
        subscriber.is_paused = False
        subscriber.soft_bounces = 0
        subscriber.save()
        queued = outbox.record([subscriber.id], Kind.WELCOME)
    tasks.enqueue(queued)
    return subscriber


def unsubscribe(
    subscriber_id: int, *, reason: str = "user", email: str | None = None
) -> bool:
    """Stop all mail to the subscriber and delete their story feedback. True if
    this call changed anything.

    One UPDATE, so the one-click endpoint stays fast and safe to repeat. With `email`,
    the row must still carry the address the link was made for.
    """
    rows = Subscriber.objects.filter(
        id=subscriber_id,
        status__in=[Subscriber.Status.ACTIVE, Subscriber.Status.PENDING],
    )
    if email is not None:
        rows = rows.filter(email__iexact=email)
    changed = (
        rows.update(
            status=Subscriber.Status.UNSUBSCRIBED,
            unsubscribed_at=timezone.now(),
            unsubscribe_reason=reason[:20],
        )
        == 1
    )
    if changed:
        # What they told us about stories goes with them (erasure cascades too).
        Feedback.objects.filter(subscriber_id=subscriber_id).delete()
    return changed


def resubscribe(subscriber_id: int, *, email: str) -> bool:
    """Undo the subscriber's own unsubscribe (one click from the goodbye page).

    Only the person's own stop (page or one-click) is undone this way; one decided
    by a bounce, a complaint, the ESP or an admin stays until an admin lifts it.
    True if the subscriber is active afterwards.
    """
    rows = Subscriber.objects.filter(
        id=subscriber_id,
        email__iexact=email,
        status=Subscriber.Status.UNSUBSCRIBED,
        unsubscribe_reason__in=Subscriber.SELF_UNSUBSCRIBE_REASONS,
    )
    rows.update(
        status=Subscriber.Status.ACTIVE,
        unsubscribed_at=None,
        unsubscribe_reason="",
        is_paused=False,
    )
    return Subscriber.objects.filter(
        id=subscriber_id, email__iexact=email, status=Subscriber.Status.ACTIVE
    ).exists()


def lift_suppression(subscriber_id: int) -> bool:
    """An admin's decision that a held address may sign up again. True if lifted.

    The address gets no mail from this: it becomes an ordinary unsubscribed one, so
    only a new sign-up and confirmation brings it back, and no link signed before
    now (confirmation or one-click resubscribe) works.
    """
    return (
        Subscriber.objects.filter(id=subscriber_id)
        .filter(
            Q(status__in=[Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED])
            | Q(
                status=Subscriber.Status.UNSUBSCRIBED,
                unsubscribe_reason__in=Subscriber.HELD_UNSUBSCRIBE_REASONS,
            )
        )
        .update(
            status=Subscriber.Status.UNSUBSCRIBED,
            unsubscribe_reason=Subscriber.LIFTED_REASON,
            unsubscribed_at=timezone.now(),
            soft_bounces=0,
        )
        == 1
    )


def update_preferences(
    subscriber_id: int,
    *,
    categories: list[Category] | None = None,
    language: str | None = None,
    frequency: str | None = None,
    is_paused: bool | None = None,
) -> Subscriber:
    """Change what the subscriber receives; arguments left as None stay as they are."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(id=subscriber_id)
        if language is not None:
            subscriber.language = _language(language)
        if frequency is not None:
            subscriber.frequency = frequency
        if is_paused is not None:
            subscriber.is_paused = is_paused
        subscriber.save(update_fields=["language", "frequency", "is_paused"])
        if categories is not None:
            _set_categories(subscriber, categories)
    return subscriber


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_subscriber_data(subscriber_id: int) -> dict:
    """Everything stored about one subscriber, as JSON-ready data."""
    subscriber = Subscriber.objects.get(id=subscriber_id)
    deliveries = (
        Delivery.objects.filter(subscriber=subscriber)
        .select_related("digest")
        .order_by("created_at", "id")
    )
    return {
        "email": subscriber.email,
        "status": subscriber.status,
        "language": subscriber.language,
        "frequency": subscriber.frequency,
        "is_paused": subscriber.is_paused,
        # An empty choice means every digest category, now and in the future.
        "categories": [
            c.slug for c in subscriber.categories.order_by("position", "id")
        ],
        "receives_all_categories": not subscriber.categories.exists(),
        "created_at": _iso(subscriber.created_at),
        "confirmed_at": _iso(subscriber.confirmed_at),
        "unsubscribed_at": _iso(subscriber.unsubscribed_at),
        "unsubscribe_reason": subscriber.unsubscribe_reason,
        "soft_bounces": subscriber.soft_bounces,
        "last_bounce_at": _iso(subscriber.last_bounce_at),
        "deliveries": [
            {
                "digest_date": d.digest.date.isoformat(),
                "edition": d.digest.edition,
                "status": d.status,
                "created_at": _iso(d.created_at),
                "sent_at": _iso(d.sent_at),
                "attempts": d.attempts,
                "esp_message_id": d.esp_message_id,
                "error": d.error,
            }
            for d in deliveries
        ],
        "email_events": [
            {
                "type": e.event_type,
                "occurred_at": _iso(e.occurred_at),
                "received_at": _iso(e.received_at),
            }
            for e in subscriber.tracking_events.order_by("received_at", "id")
        ],
    }


def delete_subscriber(subscriber_id: int) -> bool:
    """Erase the subscriber. Their deliveries survive only as per-digest counts.

    True if a row was erased; calling it again is harmless.
    """
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update().filter(id=subscriber_id).first()
        )
        if subscriber is None:
            return False
        counts = (
            Delivery.objects.filter(subscriber=subscriber)
            .values("digest_id", "status")
            .annotate(n=Count("id"))
        )
        for row in counts:
            counter, _ = DeletedDeliveryCount.objects.select_for_update().get_or_create(
                digest_id=row["digest_id"], status=row["status"]
            )
            counter.count += row["n"]
            counter.save(update_fields=["count"])
        _scrub_admin_history(subscriber)
        label = erasure.erased_label(subscriber.id)
        erasure.scrub_digest_history(subscriber.email, label=label)
        erasure.scrub_import_reports(subscriber.email, label=label)
        # Events keyed by a hash of the address (`webhooks.event_key`, for ESPs that
        # send no id) would still point at it; events keyed by the ESP's own id keep
        # deduplicating retries and lose their link to the row.
        subscriber.tracking_events.filter(event_id__contains=":sha256:").delete()
        subscriber.delete()  # deliveries cascade, tracking events are unlinked
        erased.record(subscriber.email)  # so that no import brings the address back
    return True


def purge_unconfirmed_signups(*, older_than_days: int | None = None) -> int:
    """Erase sign-ups never confirmed within UNCONFIRMED_SIGNUP_MAX_AGE_DAYS: an
    address someone typed and its owner never claimed is kept no longer than the
    link to claim it could matter. Returns how many were erased."""
    days = older_than_days or settings.UNCONFIRMED_SIGNUP_MAX_AGE_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    stale = Subscriber.objects.filter(
        status=Subscriber.Status.PENDING,
        confirmed_at__isnull=True,
        created_at__lt=cutoff,
    ).values_list("id", flat=True)
    return sum(delete_subscriber(subscriber_id) for subscriber_id in list(stale))


def _scrub_admin_history(subscriber: Subscriber) -> None:
    """Take the address out of the admin's history (LogEntry) before erasing."""
    label = f"erased subscriber #{subscriber.id}"
    content_type = ContentType.objects.get_for_model(Subscriber)
    address = re.compile(re.escape(subscriber.email), re.IGNORECASE)
    entries = LogEntry.objects.filter(
        Q(content_type=content_type, object_id=str(subscriber.id))
        | Q(object_repr__icontains=subscriber.email)
        | Q(change_message__icontains=subscriber.email)
    )
    for entry in entries.select_for_update():
        is_own = entry.content_type_id == content_type.id and entry.object_id == str(
            subscriber.id
        )
        entry.object_repr = label if is_own else address.sub(label, entry.object_repr)
        entry.change_message = address.sub(label, entry.change_message)
        entry.save(update_fields=["object_repr", "change_message"])


def record_bounce(
    email: str,
    *,
    kind: str,
    event_id: str = "",
    occurred_at: datetime | None = None,
) -> bool:
    """Apply one bounce/complaint report from the ESP. False for a repeat event.

    Hard bounces and complaints suppress at once; soft bounces suppress after
    SOFT_BOUNCE_LIMIT of them with no gap longer than SOFT_BOUNCE_WINDOW_DAYS.
    """
    if kind not in BOUNCE_KINDS:
        raise ValueError(f"unknown bounce kind {kind!r}")
    at = occurred_at or timezone.now()
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update()
            .filter(email__iexact=_lookup_form(email))
            .first()
        )
        if event_id:
            try:
                with transaction.atomic():
                    TrackingEvent.objects.create(
                        event_id=event_id[:255],
                        event_type=kind,
                        subscriber=subscriber,
                        occurred_at=occurred_at,
                    )
            except IntegrityError:
                return False
        if subscriber is None:
            return True
        _apply_bounce(subscriber, kind=kind, at=at)
    return True


def _apply_bounce(subscriber: Subscriber, *, kind: str, at: datetime) -> None:
    now = timezone.now()
    if kind == COMPLAINT:
        # A complaint outranks every other state: never mail this address again
        # until an admin lifts it (and then only after a fresh confirmation).
        subscriber.status = Subscriber.Status.COMPLAINED
        subscriber.unsubscribed_at = subscriber.unsubscribed_at or now
        subscriber.unsubscribe_reason = "complaint"
    elif kind == ESP_UNSUBSCRIBE:
        if subscriber.status in (Subscriber.Status.ACTIVE, Subscriber.Status.PENDING):
            subscriber.status = Subscriber.Status.UNSUBSCRIBED
            subscriber.unsubscribed_at = now
            subscriber.unsubscribe_reason = "esp"
    else:
        if kind == SOFT_BOUNCE:
            window = timedelta(days=settings.SOFT_BOUNCE_WINDOW_DAYS)
            if subscriber.last_bounce_at and at - subscriber.last_bounce_at > window:
                subscriber.soft_bounces = 0
            subscriber.soft_bounces += 1
        subscriber.last_bounce_at = max(at, subscriber.last_bounce_at or at)
        over_limit = subscriber.soft_bounces >= settings.SOFT_BOUNCE_LIMIT
        # An unsubscribed address that bounces is held too, so no one-click
        # resubscribe revives a dead mailbox; a complaint stays the stronger state.
        if subscriber.status in (
            Subscriber.Status.ACTIVE,
            Subscriber.Status.PENDING,
            Subscriber.Status.UNSUBSCRIBED,
        ) and (kind == HARD_BOUNCE or over_limit):
            subscriber.status = Subscriber.Status.BOUNCED
            subscriber.unsubscribed_at = now
            subscriber.unsubscribe_reason = "bounce"
    subscriber.save()

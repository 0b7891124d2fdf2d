"""/healthz: is this deployment able to work right now?

200 when the database answers and, with a broker configured, the broker does and a
worker ran beat's every-minute heartbeat within HEALTHZ_HEARTBEAT_STALE_SECONDS (beat
or every worker down stalls the day without a word otherwise); 503 otherwise. An
in-process install has no workers: its heartbeat is reported, never checked. The
latest finished send is reported too, with its failures when most deliveries failed,
and the subscription emails waiting in the outbox or failed (subscribers.outbox).
What waits for a dead worker (today's run, a send) is said with since when; once it
has waited HEALTHZ_STUCK_SECONDS, resuming has not healed it and the answer is 503.

A stranger learns only ok / not ok: the details (which check failed and why, the
driver's error naming the database user and the broker's address, the workers' host
names) go to staff users and to callers bearing HEALTHZ_TOKEN
(`Authorization: Bearer <token>`).
"""

import hmac

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

# Seconds each dependency gets to answer: a health check must answer quickly itself.
TIMEOUT = 2


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "not configured (tasks run in-process)"
    options = {"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT}
    with Connection(
        settings.CELERY_BROKER_URL, connect_timeout=TIMEOUT, transport_options=options
    ) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=TIMEOUT)
    return "ok"


class Stale(Exception):
    """A check that answered, with an answer that means the deployment cannot work."""


def workers() -> str:
    """The latest heartbeat; with a broker, Stale when none is recent enough."""
    from newsletter.models import WorkerHeartbeat

    latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    checked = bool(settings.CELERY_BROKER_URL)
    if latest is None:
        if checked:
            raise Stale("no heartbeat yet: is beat running, and a worker?")
        return "no heartbeat yet"
    age = int((timezone.now() - latest.seen_at).total_seconds())
    seen = (
        f"last heartbeat {latest.seen_at.isoformat(timespec='seconds')} "
        f"({age} s ago, {latest.worker})"
    )
    if checked and age > settings.HEALTHZ_HEARTBEAT_STALE_SECONDS:
        raise Stale(f"{seen}: beat or every worker is down")
    return seen


def stuck() -> str:
    """What waits for a dead worker and since when; Stale once it waited too long."""
    from newsletter.services import day_runs

    with translation.override("en"):  # for operators and monitors, as every log line
        items = day_runs.stuck_work()
    if not items:
        return "nothing"
    text = "; ".join(str(item) for item in items)
    waited = (timezone.now() - items[0].since).total_seconds()
    # In-process there is no worker to wait for or resume: reported, never checked.
    if settings.CELERY_BROKER_URL and waited > settings.HEALTHZ_STUCK_SECONDS:
        raise Stale(f"{text} (resuming has not healed it)")
    return text


def last_send() -> str:
    """The latest finished send and how it ended."""
    from newsletter.sending import outcome

    return outcome.latest_send_summary()


def subscriber_emails() -> str:
    """Subscription emails still waiting in the outbox, and recent failures."""
    from subscribers import outbox

    return str(outbox.state())


def may_see_details(request) -> bool:
    if getattr(request, "user", None) is not None and request.user.is_staff:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    token = settings.HEALTHZ_TOKEN
    return (
        bool(token)
        and scheme == "Bearer"
        and hmac.compare_digest(given.strip().encode(), token.encode())
    )


@never_cache
@require_safe
def healthz(request):
    checks, healthy = {}, True
    for name, check in (("database", check_database), ("broker", check_broker)):
        try:
            checks[name] = check()
        except Exception as exc:  # whatever the driver raises, the answer is 503
            checks[name] = f"unreachable: {exc}"
            healthy = False
    if checks["database"] == "ok":
        for name, check in (("workers", workers), ("stuck", stuck)):
            try:
                checks[name] = check()
            except Stale as exc:
                checks[name] = f"stale: {exc}"
                healthy = False
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    if checks["database"] == "ok":
        body["workers"] = checks["workers"]
        body["stuck"] = checks["stuck"]
        body["last_send"] = last_send()
        body["subscriber_emails"] = subscriber_emails()
    if not may_see_details(request):
        body = {"status": body["status"]}
    return JsonResponse(body, status=200 if healthy else 503)

"""/healthz: is this deployment able to work right now?

200 when the database answers and, with a broker configured, the broker does; 503
otherwise. Workers are reported, not checked: the time the beat-scheduled heartbeat
task last ran on one (a web server stays healthy while workers restart).

A stranger learns only ok / not ok: the details (which check failed and why, the
driver's error naming the database user and the broker's address, the workers' host
names) go to staff users and to callers bearing HEALTHZ_TOKEN
(`Authorization: Bearer <token>`).
"""

import hmac

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
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


def workers() -> str:
    from newsletter.models import WorkerHeartbeat

    latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    if latest is None:
        return "no heartbeat yet"
    age = int((timezone.now() - latest.seen_at).total_seconds())
    return (
        f"last heartbeat {latest.seen_at.isoformat(timespec='seconds')} "
        f"({age} s ago, {latest.worker})"
    )


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
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    if checks["database"] == "ok":
        body["workers"] = workers()
    if not may_see_details(request):
        body = {"status": body["status"]}
    return JsonResponse(body, status=200 if healthy else 503)

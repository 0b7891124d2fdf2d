"""Public subscriber pages. Every change is a POST; GETs only show pages because
mail scanners fetch every link they find. Links carry signed, purpose-bound tokens
(see tokens.py) instead of passwords.
"""

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from subscribers import emails, services, tokens
from subscribers.forms import DeleteForm, PreferencesForm, SubscribeForm
from subscribers.models import Subscriber

# ?done=<key> after a preferences change: which notice the page shows.
DONE_NOTICES = {"saved", "paused", "resumed", "unsubscribed", "resubscribed"}


def _client_ip(request: HttpRequest) -> str | None:
    # Only a header named in settings is trusted, and only its last value (the one
    # the proxy wrote): anything a client sends itself would let it dodge the limit.
    if settings.CLIENT_IP_HEADER:
        forwarded = request.META.get(settings.CLIENT_IP_HEADER, "")
        if last := forwarded.split(",")[-1].strip():
            return last[:64]
    return request.META.get("REMOTE_ADDR") or None


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "subscribers/invalid_link.html", status=400)


def _unknown_subscriber(request: HttpRequest) -> HttpResponse:
    return render(request, "subscribers/unknown_subscriber.html", status=404)


def _subscriber_from(token: str, purpose: str) -> Subscriber | None:
    """The row a valid token names, if it still carries the address it was made for."""
    found = tokens.read_token(token, purpose)
    if found is None:
        return None
    subscriber_id, email = found
    return Subscriber.objects.filter(id=subscriber_id, email__iexact=email).first()


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(
        request.POST or None, initial={"language": request.LANGUAGE_CODE}
    )
    if request.method == "POST" and form.is_valid():
        if not form.is_bot:
            services.subscribe(
                form.cleaned_data["email"],
                categories=list(form.cleaned_data["categories"]),
                language=form.cleaned_data["language"],
                ip=_client_ip(request),
            )
        # Same answer for new, known, rate-limited and bot submissions.
        return HttpResponseRedirect(reverse("subscribers:check_email"))
    return render(request, "subscribers/subscribe.html", {"form": form})


@require_GET
def check_email(request: HttpRequest) -> HttpResponse:
    return render(request, "subscribers/check_email.html")


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Opening the link shows a button; only pressing it (a POST) confirms.

    Link scanners fetch every GET in an email, so a GET that confirmed would let
    anyone subscribe someone else's address.
    """
    found = tokens.read_token(token, tokens.CONFIRM)
    if found is None:
        return _invalid_link(request)
    subscriber_id, email = found
    issued_at = tokens.issued_at(token)
    if request.method == "POST":
        subscriber = services.confirm_subscription(
            subscriber_id, email=email, issued_at=issued_at
        )
        if subscriber is None:
            return _unknown_subscriber(request)
        return _confirmed(request, subscriber)
    subscriber = Subscriber.objects.filter(
        id=subscriber_id, email__iexact=email
    ).first()
    if subscriber is None:
        return _unknown_subscriber(request)
    if subscriber.status == Subscriber.Status.ACTIVE:
        return _confirmed(request, subscriber)
    if not services.can_confirm(subscriber, issued_at=issued_at):
        return _unknown_subscriber(request)
    ctx = {
        "subscriber": subscriber,
        "categories": emails.chosen_categories(subscriber),
        "token": token,
    }
    return render(request, "subscribers/confirm.html", ctx)


def _confirmed(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    ctx = {
        "subscriber": subscriber,
        "categories": emails.chosen_categories(subscriber),
        "preferences_url": _preferences_path(subscriber),
        "latest_digest_url": emails.latest_digest_url(),
    }
    return render(request, "subscribers/confirmed.html", ctx)


def _preferences_path(subscriber: Subscriber) -> str:
    token = tokens.make_token(subscriber.id, tokens.PREFERENCES, email=subscriber.email)
    return reverse("subscribers:preferences", args=[token])


def _export_response(subscriber: Subscriber) -> HttpResponse:
    data = services.export_subscriber_data(subscriber.id)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        'attachment; filename="daily-ai-insights-my-data.json"'
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    if tokens.read_token(token, tokens.PREFERENCES) is None:
        return _invalid_link(request)
    subscriber = _subscriber_from(token, tokens.PREFERENCES)
    if subscriber is None:
        return _unknown_subscriber(request)
    here = reverse("subscribers:preferences", args=[token])
    chosen = emails.chosen_categories(subscriber)
    form = PreferencesForm(
        initial={"categories": chosen, "language": subscriber.language}
    )
    delete_form = DeleteForm()

    if request.method == "POST":
        action = request.POST.get("action", "")
        done = None
        if action == "save":
            form = PreferencesForm(request.POST)
            if form.is_valid():
                services.update_preferences(
                    subscriber.id,
                    categories=list(form.cleaned_data["categories"]),
                    language=form.cleaned_data["language"],
                )
                done = "saved"
        elif action in ("pause", "resume"):
            services.update_preferences(subscriber.id, is_paused=action == "pause")
            done = "paused" if action == "pause" else "resumed"
        elif action == "unsubscribe":
            services.unsubscribe(subscriber.id, reason="user", email=subscriber.email)
            done = "unsubscribed"
        elif action == "resubscribe":
            if services.resubscribe(subscriber.id, email=subscriber.email):
                done = "resubscribed"
        elif action == "export":
            return _export_response(subscriber)
        elif action == "delete":
            delete_form = DeleteForm(request.POST)
            if delete_form.is_valid():
                services.delete_subscriber(subscriber.id)
                return render(request, "subscribers/deleted.html")
        else:
            return render(request, "subscribers/invalid_link.html", status=400)
        if done:
            return HttpResponseRedirect(f"{here}?done={done}")

    done = request.GET.get("done")
    ctx = {
        "subscriber": subscriber,
        "form": form,
        "delete_form": delete_form,
        "categories": chosen,
        "notice": done if done in DONE_NOTICES else None,
        "here": here,
        "unsubscribe_token": tokens.make_token(
            subscriber.id, tokens.UNSUBSCRIBE, email=subscriber.email
        ),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "subscribers/preferences.html", ctx, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if tokens.read_token(token, tokens.UNSUBSCRIBE) is None:
        return _invalid_link(request)
    subscriber = _subscriber_from(token, tokens.UNSUBSCRIBE)
    if subscriber is None:
        return _unknown_subscriber(request)
    if request.method == "POST":
        services.unsubscribe(subscriber.id, reason="user", email=subscriber.email)
        subscriber.refresh_from_db()
    ctx = {
        "subscriber": subscriber,
        "token": token,
        "preferences_url": _preferences_path(subscriber),
    }
    if subscriber.status in (Subscriber.Status.ACTIVE, Subscriber.Status.PENDING):
        return render(request, "subscribers/unsubscribe.html", ctx)
    return render(request, "subscribers/unsubscribed.html", ctx)


@never_cache
@require_POST
def resubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if tokens.read_token(token, tokens.UNSUBSCRIBE) is None:
        return _invalid_link(request)
    subscriber = _subscriber_from(token, tokens.UNSUBSCRIBE)
    if subscriber is None:
        return _unknown_subscriber(request)
    is_active = services.resubscribe(subscriber.id, email=subscriber.email)
    subscriber.refresh_from_db()
    ctx = {
        "subscriber": subscriber,
        "is_active": is_active,
        "preferences_url": _preferences_path(subscriber),
    }
    status = 200 if is_active else 409  # a held or lifted stop: nothing changed
    return render(request, "subscribers/resubscribed.html", ctx, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def one_click(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058 one-click unsubscribe: the signed token is the only credential.

    A POST is one token check and one UPDATE, and repeating it is harmless. A GET
    (someone opened the URL in a browser) goes to the page with the button.
    """
    if request.method == "GET":
        return HttpResponseRedirect(reverse("subscribers:unsubscribe", args=[token]))
    found = tokens.read_token(token, tokens.UNSUBSCRIBE)
    if found is None:
        return HttpResponse(
            "Invalid unsubscribe link.\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    subscriber_id, email = found
    services.unsubscribe(subscriber_id, reason="one-click", email=email)
    return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")

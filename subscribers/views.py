"""Public subscriber pages. Every change is a POST; GETs only show pages because
mail scanners fetch every link they find. Links carry signed, purpose-bound tokens
(see tokens.py) instead of passwords, and no page behind one is ever cached.
"""

import json

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lib.client_ip import client_ip
from lib.locale import use_language
from newsletter.models import Category
from subscribers import emails, links, services, tokens
from subscribers.forms import DeleteForm, PreferencesForm, SubscribeForm
from subscribers.models import Subscriber, SubscriberEmail

# ?done=<key> after a preferences change: which notice the page shows.
DONE_NOTICES = {
    "saved",
    "paused",
    "resumed",
    "unsubscribed",
    "resubscribed",
    "link_sent",
}

# Which email an expired link of each purpose asks for.
_FRESH_LINK_KIND = {
    tokens.PREFERENCES: SubscriberEmail.Kind.PREFERENCES_LINK,
    tokens.MANAGE: SubscriberEmail.Kind.MANAGE_LINK,
}


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "subscribers/invalid_link.html", status=400)


def _unknown_subscriber(request: HttpRequest) -> HttpResponse:
    return render(request, "subscribers/unknown_subscriber.html", status=404)


def _as_reader(request: HttpRequest, subscriber: Subscriber | None) -> None:
    """A page behind someone's personal link speaks the language they chose for
    their emails, whatever the browser says: their link opened it."""
    if subscriber is not None:
        use_language(request, subscriber.reading_language)


def _current_subscriber(
    request: HttpRequest, token: str, purpose: str
) -> Subscriber | HttpResponse:
    """The row an unexpired token of this purpose names, or the page saying why not."""
    found = tokens.read_token(token, purpose)
    if found is None or found.is_expired:
        return _invalid_link(request)
    subscriber = tokens.subscriber_for(found)
    _as_reader(request, subscriber)
    return subscriber or _unknown_subscriber(request)


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
                frequency=form.cleaned_data["frequency"] or Subscriber.Frequency.DAILY,
                ip=client_ip(request),
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
    if found is None or found.is_expired:
        return _invalid_link(request)
    subscriber = tokens.subscriber_for(found)
    _as_reader(request, subscriber)
    if subscriber is None:
        return _unknown_subscriber(request)
    if request.method == "POST":
        confirmed = services.confirm_subscription(
            subscriber.id, email=subscriber.email, issued_at=found.issued_at
        )
        if confirmed is None:
            return _unknown_subscriber(request)
        return _confirmed(request, confirmed)
    if subscriber.status == Subscriber.Status.ACTIVE:
        return _confirmed(request, subscriber)
    if not services.can_confirm(subscriber, issued_at=found.issued_at):
        return _unknown_subscriber(request)
    ctx = {
        "subscriber": subscriber,
        "categories": Category.objects.for_subscriber(subscriber),
        "token": token,
    }
    return render(request, "subscribers/confirm.html", ctx)


def _confirmed(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    ctx = {
        "subscriber": subscriber,
        "categories": Category.objects.for_subscriber(subscriber),
        "preferences_url": links.preferences_url(subscriber),
        "latest_digest_url": emails.latest_digest_url(),
    }
    return render(request, "subscribers/confirmed.html", ctx)


# --- preferences -----------------------------------------------------------------
# Two doors to one page: the preferences link in every email (lives for
# PREFERENCES_LINK_MAX_AGE_DAYS) changes what arrives; the manage link, emailed only
# on request and short-lived, may also export or erase, so a forwarded digest
# cannot take someone's data or account.


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    return _subscription_page(request, token, purpose=tokens.PREFERENCES)


@never_cache
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    return _subscription_page(request, token, purpose=tokens.MANAGE)


def _subscription_page(
    request: HttpRequest, token: str, *, purpose: str
) -> HttpResponse:
    found = tokens.read_token(token, purpose)
    if found is None:
        return _invalid_link(request)
    subscriber = tokens.subscriber_for(found)
    _as_reader(request, subscriber)
    if subscriber is None:
        return _unknown_subscriber(request)
    if found.is_expired:
        return _expired_link(request, subscriber, purpose=purpose)
    page = _PreferencesPage(
        request,
        subscriber,
        here=request.path,
        can_manage_data=purpose == tokens.MANAGE,
    )
    if request.method == "POST":
        return page.apply(request.POST.get("action", ""))
    return page.render(notice=request.GET.get("done"))


def _expired_link(
    request: HttpRequest, subscriber: Subscriber, *, purpose: str
) -> HttpResponse:
    """A correctly signed but expired link changes nothing; it may only ask for a
    fresh link, which goes to the address on file, never to the visitor."""
    if request.method == "POST" and request.POST.get("action") == "send_link":
        services.send_fresh_link(
            subscriber.id, kind=_FRESH_LINK_KIND[purpose], ip=client_ip(request)
        )
        return render(request, "subscribers/link_sent.html")
    status = 403 if request.method == "POST" else 200
    ctx = {"here": request.path}
    return render(request, "subscribers/link_expired.html", ctx, status=status)


class _PreferencesPage:
    """One visit to the preferences page: each action is a named step."""

    def __init__(
        self,
        request: HttpRequest,
        subscriber: Subscriber,
        *,
        here: str,
        can_manage_data: bool,
    ):
        self.request = request
        self.subscriber = subscriber
        self.here = here
        self.can_manage_data = can_manage_data

    def apply(self, action: str) -> HttpResponse:
        steps = {
            "save": self.save,
            "pause": self.pause,
            "resume": self.resume,
            "unsubscribe": self.unsubscribe,
            "resubscribe": self.resubscribe,
            "send_manage_link": self.send_manage_link,
            "export": self.export,
            "delete": self.delete,
        }
        if action not in steps:
            return _invalid_link(self.request)
        return steps[action]()

    def done(self, notice: str) -> HttpResponse:
        return HttpResponseRedirect(f"{self.here}?done={notice}")

    def save(self) -> HttpResponse:
        form = PreferencesForm(self.request.POST)
        if not form.is_valid():
            return self.render(form=form, status=400)
        services.update_preferences(
            self.subscriber.id,
            categories=list(form.cleaned_data["categories"]),
            language=form.cleaned_data["language"],
            frequency=form.cleaned_data["frequency"],
        )
        return self.done("saved")

    def pause(self) -> HttpResponse:
        services.update_preferences(self.subscriber.id, is_paused=True)
        return self.done("paused")

    def resume(self) -> HttpResponse:
        services.update_preferences(self.subscriber.id, is_paused=False)
        return self.done("resumed")

    def unsubscribe(self) -> HttpResponse:
        subscriber = self.subscriber
        services.unsubscribe(subscriber.id, reason="user", email=subscriber.email)
        return self.done("unsubscribed")

    def resubscribe(self) -> HttpResponse:
        if not services.resubscribe(self.subscriber.id, email=self.subscriber.email):
            return self.render(status=400)  # a held or lifted stop: nothing changed
        return self.done("resubscribed")

    def send_manage_link(self) -> HttpResponse:
        services.send_fresh_link(
            self.subscriber.id,
            kind=SubscriberEmail.Kind.MANAGE_LINK,
            ip=client_ip(self.request),
        )
        return self.done("link_sent")

    def export(self) -> HttpResponse:
        if not self.can_manage_data:
            return self.render(status=403)
        return _export_response(self.subscriber)

    def delete(self) -> HttpResponse:
        if not self.can_manage_data:
            return self.render(status=403)
        delete_form = DeleteForm(self.request.POST)
        if not delete_form.is_valid():
            return self.render(delete_form=delete_form, status=400)
        services.delete_subscriber(self.subscriber.id)
        return render(self.request, "subscribers/deleted.html")

    def render(
        self,
        *,
        form: PreferencesForm | None = None,
        delete_form: DeleteForm | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> HttpResponse:
        subscriber = self.subscriber
        chosen = list(Category.objects.for_subscriber(subscriber))
        ctx = {
            "subscriber": subscriber,
            "form": form
            or PreferencesForm(
                initial={
                    "categories": chosen,
                    "language": subscriber.language,
                    "frequency": subscriber.frequency,
                }
            ),
            "delete_form": delete_form or DeleteForm(),
            "categories": chosen,
            "notice": notice if notice in DONE_NOTICES else None,
            "here": self.here,
            "can_manage_data": self.can_manage_data,
        }
        return render(self.request, "subscribers/preferences.html", ctx, status=status)


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


# --- unsubscribe -----------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _current_subscriber(request, token, tokens.UNSUBSCRIBE)
    if isinstance(subscriber, HttpResponse):
        return subscriber
    if request.method == "POST":
        services.unsubscribe(subscriber.id, reason="user", email=subscriber.email)
        subscriber.refresh_from_db()
    ctx = {
        "subscriber": subscriber,
        "token": token,
        "preferences_url": _onward_url(token),
    }
    if subscriber.status in (Subscriber.Status.ACTIVE, Subscriber.Status.PENDING):
        return render(request, "subscribers/unsubscribe.html", ctx)
    return render(request, "subscribers/unsubscribed.html", ctx)


@never_cache
@require_POST
def resubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _current_subscriber(request, token, tokens.UNSUBSCRIBE)
    if isinstance(subscriber, HttpResponse):
        return subscriber
    is_active = services.resubscribe(subscriber.id, email=subscriber.email)
    subscriber.refresh_from_db()
    ctx = {
        "subscriber": subscriber,
        "is_active": is_active,
        "preferences_url": _onward_url(token),
    }
    status = 200 if is_active else 409  # a held or lifted stop: nothing changed
    return render(request, "subscribers/resubscribed.html", ctx, status=status)


def _onward_url(token: str) -> str:
    return reverse("subscribers:onward_preferences", args=[token])


@never_cache
@require_http_methods(["GET", "POST"])
def onward_preferences(request: HttpRequest, token: str) -> HttpResponse:
    """From the unsubscribe page on to the preferences page, once per link.

    Unsubscribe links never expire, so a page that handed out a fresh preferences
    link on every visit would give an old or forwarded email lasting access. The
    first visit goes on; later ones can only have a fresh link emailed to the
    address on file, as an expired preferences link can.
    """
    subscriber = _current_subscriber(request, token, tokens.UNSUBSCRIBE)
    if isinstance(subscriber, HttpResponse):
        return subscriber
    if request.method == "POST":
        if request.POST.get("action") != "send_link":
            return _invalid_link(request)
        services.send_fresh_link(
            subscriber.id,
            kind=SubscriberEmail.Kind.PREFERENCES_LINK,
            ip=client_ip(request),
        )
        return render(request, "subscribers/link_sent.html")
    if services.spend_link(token):
        return HttpResponseRedirect(links.preferences_url(subscriber))
    ctx = {"here": request.path}
    return render(request, "subscribers/link_expired.html", ctx, status=410)


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def one_click(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058 one-click unsubscribe: the signed token is the only credential.

    A POST is one token check, one lookup and one UPDATE, and repeating it is
    harmless. A GET (someone opened the URL in a browser) goes to the page with the
    button. Tokens from before opaque keys still work here (see tokens.py).
    """
    if request.method == "GET":
        return HttpResponseRedirect(reverse("subscribers:unsubscribe", args=[token]))
    found = tokens.read_token(token, tokens.UNSUBSCRIBE)
    if found is None or found.is_expired:
        return HttpResponse(
            "Invalid unsubscribe link.\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    subscriber = tokens.subscriber_for(found)
    if subscriber is not None:
        services.unsubscribe(subscriber.id, reason="one-click", email=subscriber.email)
    return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")

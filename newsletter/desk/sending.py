"""Sending from the desk, with care: a send is confirmed on a page that counts its
readers per language and edition, an approval can be taken back until the send
starts, a digest can carry its own send time, and a test goes to the editor plus up
to five addresses typed on the page, a limited number of times an hour.

As the admin's own delete does, the confirmation is a page of its own: the button and
the changelist action both land there, and only its form (``post=yes``) sends.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from newsletter import services
from newsletter.desk import preview, test_sends
from newsletter.desk import schedule as send_schedule
from newsletter.desk.forms import SendTimeForm, TestSendForm
from newsletter.desk.review import reader_from, reader_query
from newsletter.models import Delivery, Digest
from newsletter.sending import audience

CONFIRM_TEMPLATE = "admin/newsletter/digest/send_confirm.html"


def send_result(digest: Digest, report) -> str:
    """The send's report in the editor's language."""
    if report is None:
        return _("%(digest)s is not approved: nothing sent.") % {"digest": digest}
    return _(
        "%(digest)s: sent %(sent)s, queued %(queued)s, skipped %(skipped)s, failed "
        "%(failed)s, already done %(done)s."
    ) % {
        "digest": digest,
        "sent": report.sent,
        "queued": report.queued,
        "skipped": report.skipped,
        "failed": report.failed,
        "done": report.already_done,
    }


class DigestSendingMixin:
    """The digest admin's send confirmation, take-back, send time and test send."""

    def get_urls(self):
        return [*self.sending_urls(), *super().get_urls()]

    def review_context(self, request, digest: Digest, bound=None) -> dict:
        context = super().review_context(request, digest, bound)
        return {**context, **self.sending_context(request, digest)}

    def sending_urls(self) -> list:
        wrap = self.admin_site.admin_view
        views = [
            ("send", self.send_view),
            ("unapprove", self.unapprove_view),
            ("send-time", self.send_time_view),
            ("test-send", self.test_send_view),
        ]
        return [
            path(
                f"<int:digest_id>/{name}/",
                wrap(view),
                name=f"newsletter_digest_{name.replace('-', '_')}",
            )
            for name, view in views
        ]

    def sending_context(self, request, digest: Digest) -> dict:
        frozen = digest.is_frozen
        return {
            "send_plan": send_schedule.send_plan(digest),
            "can_unapprove": self.has_approve_digest_permission(request)
            and digest.status == Digest.Status.APPROVED,
            "send_time_form": None
            if frozen or not self.has_approve_digest_permission(request)
            else SendTimeForm(initial={"send_at": digest.send_at}),
            "test_send_form": TestSendForm(),
            "test_sends_per_hour": test_sends.per_hour(),
        }

    # --- sending: confirm, then send --------------------------------------------------

    def confirm_send(self, request, digests: list[Digest], *, action_url: str, extra):
        """The confirmation page for ``digests``: who each send reaches."""
        confirmations = [_confirmation(d) for d in digests]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Send to subscribers?"),
            "opts": self.model._meta,
            "confirmations": confirmations,
            "any_sendable": any(c["sendable"] for c in confirmations),
            "action_url": action_url,
            "extra_fields": extra,
        }
        return TemplateResponse(request, CONFIRM_TEMPLATE, context)

    def send_view(self, request, digest_id: int):
        if not self.has_send_digest_permission(request):
            raise PermissionDenied(_("You may not send digests."))
        digest = self._digest(request, digest_id)
        if request.method != "POST" or request.POST.get("post") != "yes":
            url = reverse("admin:newsletter_digest_send", args=[digest.id])
            return self.confirm_send(request, [digest], action_url=url, extra=[])
        report = services.send_digest(
            digest.date, edition=digest.edition, actor=request.user
        )
        level = messages.WARNING if report is None else messages.SUCCESS
        messages.add_message(request, level, send_result(digest, report))
        return self._back(digest)

    def send_now(self, request, queryset):
        """The changelist action: confirmed on the same page, then sent."""
        if request.POST.get("post") != "yes":
            digests = list(queryset)
            url = reverse("admin:newsletter_digest_changelist")
            extra = [("action", "send_now")]
            extra += [("_selected_action", d.pk) for d in digests]
            return self.confirm_send(request, digests, action_url=url, extra=extra)
        for digest in queryset:
            report = services.send_digest(
                digest.date, edition=digest.edition, actor=request.user
            )
            level = messages.WARNING if report is None else messages.SUCCESS
            self.message_user(request, send_result(digest, report), level)
        return None

    # --- taking an approval back, the digest's own send time ----------------------

    @method_decorator(require_POST)
    def unapprove_view(self, request, digest_id: int):
        if not self.has_approve_digest_permission(request):
            raise PermissionDenied(_("You may not approve digests."))
        digest = self._digest(request, digest_id)
        if services.unapprove_digest(digest.id, actor=request.user):
            messages.success(
                request,
                _("%(digest)s is back to ready: the scheduler will not send it.")
                % {"digest": digest},
            )
        else:
            messages.error(
                request,
                _("%(digest)s cannot be taken back: its send has started.")
                % {"digest": digest},
            )
        return self._back(digest)

    @method_decorator(require_POST)
    def send_time_view(self, request, digest_id: int):
        if not self.has_approve_digest_permission(request):
            raise PermissionDenied(_("You may not approve digests."))
        digest = self._digest(request, digest_id)
        form = SendTimeForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(form.errors.get("send_at", [])))
            return self._back(digest)
        when = None if "clear" in request.POST else form.cleaned_data["send_at"]
        if services.set_send_time(digest.id, when, actor=request.user):
            messages.success(request, _("Send time saved."))
        else:
            messages.error(request, _("Its send has started: the time cannot change."))
        return self._back(digest)

    # --- test send ----------------------------------------------------------------

    @method_decorator(require_POST)
    def test_send_view(self, request, digest_id: int):
        if not self.has_test_send_digest_permission(request):
            raise PermissionDenied(_("You may not send tests."))
        digest = self._digest(request, digest_id)
        reader = reader_from(request, request.POST, digest)
        back = self._back(digest, reader_query(reader))
        form = TestSendForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(form.errors.get("addresses", [])))
            return back
        if not test_sends.take_one(request.user):
            messages.error(
                request,
                _("You have sent %(n)s tests in the last hour: wait a little.")
                % {"n": test_sends.per_hour()},
            )
            return back
        try:
            to = preview.send_test(
                digest, reader, actor=request.user, extra=form.cleaned_data["addresses"]
            )
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Test sent to %(to)s.") % {"to": ", ".join(to)})
        return back


def _confirmation(digest: Digest) -> dict:
    """One digest's line of the confirmation: whom it reaches, by language."""
    sendable = digest.can_send
    started = dict(
        digest.deliveries.values_list("status").annotate(n=Count("id")).order_by()
    )
    return {
        "digest": digest,
        "sendable": sendable,
        "counts": audience.recipient_counts(digest) if sendable else None,
        "already_sent": started.get(Delivery.Status.SENT, 0),
        "send_at": digest.send_at,
    }

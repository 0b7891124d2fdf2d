from django import forms
from django.contrib import admin
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from subscribers import services
from subscribers.admin_import import SubscriberCsvMixin
from subscribers.models import (
    DeletedDeliveryCount,
    Subscriber,
    SubscriberEmail,
    TrackingEvent,
)


class SubscriberAddForm(forms.ModelForm):
    """Adding an address by hand: a sign-up on the person's behalf, so it waits for
    their confirmation unless the editor records the consent they already gave."""

    has_consent = forms.BooleanField(
        required=False,
        label=_("The person has already agreed to receive the digest"),
        help_text=_(
            "Unticked: they get the confirmation email and stay pending until they "
            "confirm."
        ),
    )
    consent_note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Evidence of consent"),
        help_text=_(
            "Where, when and how they agreed (e.g. paper form at the 2026-05-02 "
            "meetup). Kept with the subscriber."
        ),
    )

    class Meta:
        model = Subscriber
        fields = ["email", "language", "categories", "is_paused"]

    def clean_email(self) -> str:
        try:
            return services.normalize_email(self.cleaned_data["email"])
        except ValueError:
            raise forms.ValidationError(
                gettext("Enter a valid email address.")
            ) from None

    def clean(self):
        data = super().clean()
        if data.get("has_consent") and not (data.get("consent_note") or "").strip():
            self.add_error("consent_note", gettext("Say where and when they agreed."))
        if not data.get("has_consent"):
            data["consent_note"] = ""
        return data


@admin.register(Subscriber)
class SubscriberAdmin(SubscriberCsvMixin, admin.ModelAdmin):
    list_display = [
        "email",
        "name",
        "status",
        "language",
        "frequency",
        "is_paused",
        "created_at",
        "confirmed_at",
    ]
    list_filter = ["status", "language", "frequency", "is_paused", "categories"]
    search_fields = ["email", "name"]
    filter_horizontal = ["categories"]
    # Status moves only through the guarded paths: confirmation, the unsubscribe
    # actions, bounces, and `lift_suppression` (its own permission). An editable
    # field let anyone with change_subscriber revive a complained address.
    readonly_fields = [
        "status",
        "consent_evidence",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "unsubscribe_reason",
        "soft_bounces",
        "last_bounce_at",
        "import_evidence",
    ]
    actions = ["unsubscribe_selected", "erase_selected", "lift_suppression"]

    add_form = SubscriberAddForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*SubscriberAddForm.Meta.fields, "has_consent", "consent_note"]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else super().get_readonly_fields(request, obj)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if not change:  # saved pending (the model's default); now confirm or record
            services.admit_added_subscriber(
                form.instance.id,
                consent_note=form.cleaned_data.get("consent_note", ""),
                actor=request.user,
            )

    def has_erase_subscriber_permission(self, request) -> bool:
        return request.user.has_perm("subscribers.erase_subscriber")

    @admin.action(
        description=_("Unsubscribe the selected subscribers"), permissions=["change"]
    )
    def unsubscribe_selected(self, request, queryset):
        changed = sum(services.unsubscribe(s.id, reason="admin") for s in queryset)
        self.message_user(
            request,
            ngettext(
                "%(n)s subscriber unsubscribed.",
                "%(n)s subscribers unsubscribed.",
                changed,
            )
            % {"n": changed},
        )

    # Django's own delete (the button, "delete selected") erases as the action does:
    # the delivery history survives only as anonymous counts and the address is
    # scrubbed from the admin history.
    def delete_model(self, request, obj: Subscriber) -> None:
        services.delete_subscriber(obj.id)

    def delete_queryset(self, request, queryset) -> None:
        for subscriber_id in queryset.values_list("id", flat=True):
            services.delete_subscriber(subscriber_id)

    @admin.action(
        description=_(
            "Erase the selected subscribers (keeps anonymous delivery counts)"
        ),
        permissions=["erase_subscriber"],
    )
    def erase_selected(self, request, queryset):
        erased = sum(services.delete_subscriber(s.id) for s in queryset)
        self.message_user(
            request,
            ngettext("%(n)s subscriber erased.", "%(n)s subscribers erased.", erased)
            % {"n": erased},
        )

    @admin.action(
        description=_(
            "Lift suppression (bounced, complained, ESP or admin unsubscribe): the "
            "address may sign up again"
        ),
        permissions=["lift_suppression"],
    )
    def lift_suppression(self, request, queryset):
        lifted = sum(services.lift_suppression(s.id) for s in queryset)
        self.message_user(
            request,
            ngettext("%(n)s suppression lifted.", "%(n)s suppressions lifted.", lifted)
            % {"n": lifted},
        )

    def has_lift_suppression_permission(self, request) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.lift_suppression")


@admin.register(TrackingEvent)
class TrackingEventAdmin(admin.ModelAdmin):
    list_display = [
        "event_type",
        "event_id",
        "subscriber",
        "occurred_at",
        "received_at",
    ]
    list_filter = ["event_type"]
    readonly_fields = [
        "event_type",
        "event_id",
        "subscriber",
        "occurred_at",
        "received_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(DeletedDeliveryCount)
class DeletedDeliveryCountAdmin(admin.ModelAdmin):
    list_display = ["digest", "status", "count"]
    readonly_fields = ["digest", "status", "count"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SubscriberEmail)
class SubscriberEmailAdmin(admin.ModelAdmin):
    """The outbox of subscription emails, to read: what waits, what failed and why.
    Rows change only by being sent (subscribers.outbox)."""

    list_display = [
        "kind",
        "subscriber",
        "status",
        "attempts",
        "created_at",
        "due_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["subscriber"]
    search_fields = ["subscriber__email"]
    readonly_fields = list_display + ["claimed_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # The rows go with their subscriber: whoever may delete one deletes these.
        return request.user.has_perm("subscribers.delete_subscriber")

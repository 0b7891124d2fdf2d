from django.contrib import admin

from subscribers import services
from subscribers.admin_import import SubscriberCsvMixin
from subscribers.models import DeletedDeliveryCount, Subscriber, TrackingEvent


@admin.register(Subscriber)
class SubscriberAdmin(SubscriberCsvMixin, admin.ModelAdmin):
    list_display = [
        "email",
        "name",
        "status",
        "language",
        "is_paused",
        "created_at",
        "confirmed_at",
    ]
    list_filter = ["status", "language", "is_paused", "categories"]
    search_fields = ["email", "name"]
    filter_horizontal = ["categories"]
    readonly_fields = [
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "unsubscribe_reason",
        "soft_bounces",
        "last_bounce_at",
        "import_evidence",
    ]
    actions = ["unsubscribe_selected", "erase_selected", "lift_suppression"]

    def has_erase_subscriber_permission(self, request) -> bool:
        return request.user.has_perm("subscribers.erase_subscriber")

    @admin.action(
        description="Unsubscribe the selected subscribers", permissions=["change"]
    )
    def unsubscribe_selected(self, request, queryset):
        changed = sum(services.unsubscribe(s.id, reason="admin") for s in queryset)
        self.message_user(request, f"{changed} subscriber(s) unsubscribed.")

    # Django's own delete (the button, "delete selected") erases as the action does:
    # the delivery history survives only as anonymous counts and the address is
    # scrubbed from the admin history.
    def delete_model(self, request, obj: Subscriber) -> None:
        services.delete_subscriber(obj.id)

    def delete_queryset(self, request, queryset) -> None:
        for subscriber_id in queryset.values_list("id", flat=True):
            services.delete_subscriber(subscriber_id)

    @admin.action(
        description="Erase the selected subscribers (keeps anonymous delivery counts)",
        permissions=["erase_subscriber"],
    )
    def erase_selected(self, request, queryset):
        erased = sum(services.delete_subscriber(s.id) for s in queryset)
        self.message_user(request, f"{erased} subscriber(s) erased.")

    @admin.action(
        description="Lift suppression (bounced, complained, ESP or admin "
        "unsubscribe): the address may sign up again",
        permissions=["lift_suppression"],
    )
    def lift_suppression(self, request, queryset):
        lifted = sum(services.lift_suppression(s.id) for s in queryset)
        self.message_user(request, f"{lifted} suppression(s) lifted.")

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

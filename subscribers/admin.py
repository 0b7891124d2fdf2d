from django.contrib import admin

from subscribers import services
from subscribers.admin_import import SubscriberCsvMixin
from subscribers.models import DeletedDeliveryCount, Subscriber, TrackingEvent


@admin.register(Subscriber)
class SubscriberAdmin(SubscriberCsvMixin, admin.ModelAdmin):
    list_display = [
        "email",
        "status",
        "language",
        "is_paused",
        "created_at",
        "confirmed_at",
    ]
    list_filter = ["status", "language", "is_paused", "categories"]
    search_fields = ["email"]
    filter_horizontal = ["categories"]
    readonly_fields = [
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "unsubscribe_reason",
        "soft_bounces",
        "last_bounce_at",
    ]
    actions = ["unsubscribe_selected", "erase_selected"]

    @admin.action(description="Unsubscribe the selected subscribers")
    def unsubscribe_selected(self, request, queryset):
        changed = sum(services.unsubscribe(s.id, reason="admin") for s in queryset)
        self.message_user(request, f"{changed} subscriber(s) unsubscribed.")

    @admin.action(
        description="Erase the selected subscribers (keeps anonymous delivery counts)"
    )
    def erase_selected(self, request, queryset):
        erased = sum(services.delete_subscriber(s.id) for s in queryset)
        self.message_user(request, f"{erased} subscriber(s) erased.")


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

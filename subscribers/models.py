from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class SubscriberQuerySet(models.QuerySet):
    def receiving(self):
        """Who gets the next digest: confirmed, not paused, not suppressed."""
        return self.filter(status=Subscriber.Status.ACTIVE, is_paused=False)


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        ACTIVE = "active", "Active"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"

    email = models.EmailField(max_length=254)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # Empty means every category that is in the digest.
    categories = models.ManyToManyField("newsletter.Category", blank=True, related_name="subscribers")
    language = models.CharField(max_length=5, default="ko")
    is_paused = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    soft_bounces = models.PositiveIntegerField(default=0)
    last_bounce_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="unique_subscriber_email_ci"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_suppressed(self) -> bool:
        return self.status in {self.Status.UNSUBSCRIBED, self.Status.BOUNCED, self.Status.COMPLAINED}

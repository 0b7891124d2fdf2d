"""Admin actions run only for users holding the permission each action declares.

Django offers an action only to users with its `permissions`, but silently ignores a
POSTed action it did not offer; here such a POST is refused with 403 so a forged form is
told no. django-celery-beat's and django-axes's admin actions declare no permission at
all (a view-only user could run the daily send or disable the schedule), so their admins
are re-registered with the permissions added. `config.apps.AdminConfig` applies both
once every app's admin module is loaded.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask


class ActionPermissionMixin:
    """403 for a POSTed action the user is not offered, and for saving the list's
    editable fields (the review queue's categories) without the change permission."""

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST":
            offered = self.get_actions(request)
            for action in request.POST.getlist("action"):
                if action and action not in offered:
                    raise PermissionDenied(f"You may not run the action {action!r}.")
            if "_save" in request.POST and not self.has_change_permission(request):
                raise PermissionDenied("You may not change these rows.")
        return super().changelist_view(request, extra_context)


def _requiring(permission: str, action):
    """The inherited admin action `action`, offered only with `permission`."""

    def guarded(self, request, queryset):
        return action(self, request, queryset)

    guarded.__name__ = action.__name__
    return admin.action(description=action.short_description, permissions=[permission])(
        guarded
    )


class GuardedPeriodicTaskAdmin(ActionPermissionMixin, PeriodicTaskAdmin):
    # Running a task now can start the daily run, which emails every subscriber.
    enable_tasks = _requiring("change", PeriodicTaskAdmin.enable_tasks)
    disable_tasks = _requiring("change", PeriodicTaskAdmin.disable_tasks)
    toggle_tasks = _requiring("change", PeriodicTaskAdmin.toggle_tasks)
    run_tasks = _requiring("change", PeriodicTaskAdmin.run_tasks)


class GuardedAccessAttemptAdmin(ActionPermissionMixin, AccessAttemptAdmin):
    @admin.action(
        description=AccessAttemptAdmin.cleanup_expired_attempts.short_description,
        permissions=["delete"],
    )
    def cleanup_expired_attempts(self, request, queryset):
        # axes measures the cool-off from the time of a login attempt, which an admin
        # request does not have (its own action fails with AttributeError): from now.
        request.axes_attempt_time = None
        return super().cleanup_expired_attempts(request, queryset)


REPLACEMENTS = {
    PeriodicTask: GuardedPeriodicTaskAdmin,
    AccessAttempt: GuardedAccessAttemptAdmin,
}


def guard_every_admin(site: admin.AdminSite) -> None:
    """Re-register every ModelAdmin of `site` with the 403 for unoffered actions, and
    the two third-party admins above with their permissions."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, ActionPermissionMixin):
            continue
        cls = REPLACEMENTS.get(model) or type(
            f"Guarded{type(model_admin).__name__}",
            (ActionPermissionMixin, type(model_admin)),
            {},
        )
        site.unregister(model)
        site.register(model, cls)

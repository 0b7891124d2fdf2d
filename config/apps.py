from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """Django's admin, with every action guarded by its permission (admin_guards)."""

    def ready(self) -> None:
        super().ready()  # loads every app's admin.py
        from config.admin_guards import guard_every_admin

        guard_every_admin(admin.site)

"""Django's admin autodiscovery looks here; the editors' desk registers in
``newsletter.desk.admin``."""

from newsletter.desk import admin  # noqa: F401

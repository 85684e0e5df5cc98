from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = _("Stakeholder tracker")

    def ready(self):
        from . import data_version, signals  # noqa: F401

        data_version.connect()

"""The development tools' app, which settings add only where its extras are installed."""

from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "tracker.devtools"
    label = "tracker_devtools"
    verbose_name = "Tracker development tools"

"""The tracker's app: at start-up it connects every write to the data version
(data_version.py) and has each `migrate` make the cache tables and set the roles'
permissions (roles.py)."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = _("Stakeholder tracker")

    def ready(self):
        from . import data_version, mentions, roles, routers, signals  # noqa: F401

        data_version.connect()
        mentions.connect()
        routers.connect()
        post_migrate.connect(
            data_version.create_cache_tables,
            sender=self,
            dispatch_uid="tracker.data_version.create_cache_tables",
        )
        post_migrate.connect(
            data_version.changed_by_migrate,
            sender=self,
            dispatch_uid="tracker.data_version.changed_by_migrate",
        )
        post_migrate.connect(
            roles.sync_after_migrate,
            sender=self,
            dispatch_uid="tracker.roles.sync_after_migrate",
        )

"""Who may read the API: users whose role reads it (readers, editors, administrators and
partners; tracker/roles.py), by token or session, or anyone under `TRACKER_PUBLIC_READ`."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..roles import READ_API


class ReadIfAllowedOrPublic(BasePermission):
    """Reading needs a user holding `tracker.read_api`, unless `TRACKER_PUBLIC_READ` opens it.

    Without credentials the answer is 401; with an account that holds no role, 403.
    Write methods are let through to the view, which has no handler for them: the answer is
    405 for everyone, since no credentials would make a write work.
    """

    message = _("This account may not read the API.")

    def has_permission(self, request, view):
        if request.method not in SAFE_METHODS:
            return True
        if settings.TRACKER_PUBLIC_READ:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(READ_API))

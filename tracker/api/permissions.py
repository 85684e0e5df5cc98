"""Who may read the API: signed-in users and token holders, or anyone under
`TRACKER_PUBLIC_READ`."""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission


class ReadIfSignedInOrPublic(BasePermission):
    """Reading needs a signed-in user or a token, unless `TRACKER_PUBLIC_READ` opens it.

    Write methods are let through to the view, which has no handler for them: the answer is
    405 for everyone, since no credentials would make a write work.
    """

    def has_permission(self, request, view):
        if request.method not in SAFE_METHODS:
            return True
        if settings.TRACKER_PUBLIC_READ:
            return True
        return bool(request.user and request.user.is_authenticated)

"""Headers on every answer the application itself makes (static files keep WhiteNoise's).

- Permissions-Policy: the browser features no page uses (settings.PERMISSIONS_POLICY).
- Cache-Control: an answer that needs a login, or was made for a signed-in user or a token,
  is never kept by a shared cache, nor stored by the browser.
- Vary: an API answer depends on the credentials it came with and on the language.

The Content-Security-Policy comes from django-csp (settings.CONTENT_SECURITY_POLICY).
"""

from functools import cache

from django.conf import settings
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers

API_VARY = ("Authorization", "Cookie", "Accept-Language")


@cache
def api_prefix():
    return reverse("api:api-root")


def permissions_policy():
    return ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY)


def made_for_someone(request):
    """Whether the answer needs a login or may show what only its asker may read."""
    if "HTTP_AUTHORIZATION" in request.META or not settings.TRACKER_PUBLIC_READ:
        return True
    # The API's authentication sets the token's user here too.
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class ResponseHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", permissions_policy())
        if made_for_someone(request):
            patch_cache_control(response, private=True, no_store=True)
        if request.path_info.startswith(api_prefix()):
            patch_vary_headers(response, API_VARY)
        return response

"""The API's encoded pages, kept in the shared cache while the tracker's data is unchanged.

A list or detail that answered 200 is stored as its JSON bytes with the data version it was
built under (`tracker/data_version.py`); the same request is then answered from those bytes
until any write changes the version, or `TRACKER_API_CACHE_SECONDS` pass. One cache read
fetches both the version and the page.

What a page depends on is its key: scheme and host (records' `url`s are absolute), path,
query parameters in sorted order (`?a=1&b=2` and `?b=2&a=1` are one page; only the order of
the parameters in its `next`/`previous` links can differ), the active language (some labels
are translated) and the API version. Nothing in a page depends on who asks: authentication,
permissions and throttling run on every request before the cache is read (see
`views.ReadOnlyViewSet`), and errors are never stored.

The cache stands aside inside a transaction that has written tracker data not yet committed:
such a request must see its own writes, and must not store what might be rolled back.
"""

import hashlib

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation

from .. import data_version

PAGE_KEY_PREFIX = "tracker:api-page:"
CONTENT_TYPE = "application/json"


def seconds():
    return settings.TRACKER_API_CACHE_SECONDS


def page_key(request):
    query = sorted(
        (name, value) for name, values in request.query_params.lists() for value in values
    )
    parts = (
        request.scheme,
        request.get_host(),
        request.path,
        repr(query),
        translation.get_language() or "",
        str(getattr(request, "version", None) or ""),
    )
    digest = hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return PAGE_KEY_PREFIX + digest


class CachedPage:
    """One request's page in the cache: `response()` if stored, else `store()` once built."""

    def __init__(self, request):
        self.key = page_key(request)
        cache = data_version.shared_cache()
        found = cache.get_many([data_version.VERSION_KEY, self.key])
        self.version = found.get(data_version.VERSION_KEY) or data_version.start()
        entry = found.get(self.key)
        self.body = entry[1] if entry and entry[0] == self.version else None

    @classmethod
    def for_request(cls, request):
        """None when the cache is off or stands aside for this request."""
        if seconds() <= 0 or data_version.pending():
            return None
        return cls(request)

    def response(self):
        if self.body is None:
            return None
        return HttpResponse(self.body, content_type=CONTENT_TYPE)

    def store(self, body):
        # Stored under the version read before the page was built: a write committed since
        # has changed the version, and this entry will not be used.
        data_version.shared_cache().set(self.key, (self.version, body), seconds())

"""The API's page cache: each page answered, kept as its JSON bytes while the data is unchanged.

The API's caching is explained here once; other modules point here. A list or detail that
answered 200 is stored in the shared cache (`TRACKER_API_CACHE_ALIAS`, one for every
application server) with the data version it was built under; the same request is then
answered from those bytes until any write changes the version (`tracker/data_version.py` says
how every write does, and why a page never outlives one), or `TRACKER_API_CACHE_SECONDS`
pass. Each process also keeps the pages it served lately (`LocalPages`), so a repeated page
costs one small cache read: the version.

What a page depends on is its key: scheme and host (records' `url`s are absolute), path,
query parameters sorted by name, each name's values in the order given (`?a=1&b=2` and
`?b=2&a=1` are one page, as the filters read them alike; only the order of the parameters in
its `next`/`previous` links can differ; `?party=x&party=y` and `?party=y&party=x` are two),
the active language (some labels are translated) and the API version. A parameter that
takes one value is refused when repeated (`backends.FilterBackend`), before anything is
stored. Nothing in a page depends on who asks: authentication, permissions and throttling
run on every request before the cache is read (see `views.ReadOnlyViewSet`), and errors are
never stored.

With a read replica (`tracker/routers.py`), a page is built from the replica only when the
replica has replayed everything the primary held when the version was read; otherwise from
the primary, so a lagging replica cannot store an old page under a new version.

The cache stands aside inside a transaction that has written tracker data not yet committed:
such a request must see its own writes, and must not store what might be rolled back.

The throttle's request counters are not kept with the pages: they have a cache of their own
(`throttle_store.py`), where the pages' culling cannot evict them and counting is atomic.
"""

import hashlib
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation

from .. import data_version, routers

PAGE_KEY_PREFIX = "tracker:api-page:"
CONTENT_TYPE = "application/json"


def seconds():
    return settings.TRACKER_API_CACHE_SECONDS


def page_key(request):
    # Sorted by name only: the order of one name's values is part of the request.
    query = sorted(request.query_params.lists(), key=lambda item: item[0])
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


class LocalPages:
    """The pages this process served lately, each with the data version it was built under.

    Reading a page of a few hundred kilobytes back from a database cache costs more than the
    rest of the request (the row, then base64 and unpickling); a page this process already
    holds needs only the version, read from the shared cache as for any request, so it is
    exactly as fresh. A page is kept no longer than in the shared cache
    (`TRACKER_API_CACHE_SECONDS`), and within a bound in bytes, least recently used first.
    """

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.pages = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key, version):
        with self.lock:
            entry = self.pages.get(key)
            if entry is None or entry[0] != version or entry[2] <= time.time():
                return None
            self.pages.move_to_end(key)
            return entry[1]

    def put(self, key, version, body, expires):
        if len(body) > self.max_bytes:
            return
        with self.lock:
            old = self.pages.pop(key, None)
            if old is not None:
                self.size -= len(old[1])
            self.pages[key] = (version, body, expires)
            self.size += len(body)
            while self.size > self.max_bytes:
                _key, (_version, dropped, _expires) = self.pages.popitem(last=False)
                self.size -= len(dropped)

    def clear(self):
        with self.lock:
            self.pages.clear()
            self.size = 0


local_pages = LocalPages(max_bytes=32 * 1024 * 1024)


class CachedPage:
    """One request's page in the cache: `response()` if stored, else `store()` once built."""

    def __init__(self, request):
        self.key = page_key(request)
        cache = data_version.shared_cache()
        self.version = cache.get(data_version.VERSION_KEY) or data_version.start()
        self.body = local_pages.get(self.key, self.version)
        if self.body is None:
            entry = cache.get(self.key)
            if (
                isinstance(entry, tuple)
                and len(entry) == 3
                and entry[0] == self.version
                and entry[2] > time.time()
            ):
                self.body = entry[1]
                # Kept here until the shared entry expires, not a term longer.
                local_pages.put(self.key, self.version, self.body, entry[2])
        if self.body is None and routers.replica_behind():
            # Built from a replica that has not replayed the writes behind this version, the
            # page would be stored as current while older: build it from the primary.
            routers.read_from_primary()

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
        expires = time.time() + seconds()
        data_version.shared_cache().set(self.key, (self.version, body, expires), seconds())
        local_pages.put(self.key, self.version, body, expires)

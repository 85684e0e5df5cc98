"""How many requests a client may make: counted per clock window, atomically, apart from pages.

Each client (a user, or an address for anonymous clients: see `NUM_PROXIES` in settings) has
one counter per window of its rate (per minute for `600/minute`, from :00 to :59), in the
`throttle` cache (`throttle_store.CounterCache`, or a cache server's). Counting is the cache's
`incr`, so parallel requests of one client each get a count of their own and at most the limit
of them pass in a window, on any number of processes and servers. Refused requests count too:
a client that keeps knocking stays refused until the window ends, which `Retry-After` says.

A fixed window lets a client make up to twice its limit across a window's end (the end of one
window, then the start of the next); never more than the limit within one window.
"""

from django.core.cache import caches
from rest_framework import throttling
from rest_framework.settings import api_settings

CACHE_ALIAS = "throttle"


def count_request(key, timeout):
    """This request's number in its window: each of any number of parallel requests gets a
    number of its own. The window's first request opens the counter, for `timeout` seconds."""
    counters = caches[CACHE_ALIAS]
    try:
        return counters.incr(key)
    except ValueError:
        # The window's first request, or one that lost the race to open it.
        return 1 if counters.add(key, 1, timeout=timeout) else counters.incr(key)


class WindowCountMixin:
    def get_rate(self):
        # Read the rate from the current settings (DRF binds them once, at import).
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        client = self.get_cache_key(request, view)
        if client is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        # The window is in the key: a counter is never carried into the next window, even
        # if a cache server kept one past its expiry.
        key = f"{client}:{window}"
        count = count_request(key, timeout=self.window_end - self.now + 1)
        return count <= self.num_requests

    def wait(self):
        return max(self.window_end - self.now, 1)


class AnonRateThrottle(WindowCountMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(WindowCountMixin, throttling.UserRateThrottle):
    pass

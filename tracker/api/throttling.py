from rest_framework import throttling
from rest_framework.settings import api_settings


class LiveRatesMixin:
    """Read the rate from the current settings (DRF binds them once, at import)."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonRateThrottle(LiveRatesMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(LiveRatesMixin, throttling.UserRateThrottle):
    pass

"""The API's JSON, encoded by orjson."""

import orjson
from django.utils.functional import Promise
from rest_framework.renderers import BaseRenderer


def _encode_other(value):
    # Lazily translated messages (error details) are the only non-JSON types the API returns.
    if isinstance(value, Promise):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class JSONRenderer(BaseRenderer):
    """JSON through orjson: compact UTF-8, dates as ISO 8601."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, default=_encode_other)

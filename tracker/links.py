"""Record pages' addresses, built from their route's address found once.

`reverse()` matches a route's pattern against its arguments on every call: about 50 µs here.
An organisation's page links to some 500 records (its agreements, commitments, sources and
map), so its links alone cost 25 ms. A record page's address is its route's address with the
record's slug or id put in, so `reverse()` runs once per route, script prefix and URL
configuration, and each link after that is a string join.
"""

import functools
import re

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# Matched by every route argument of the tracker's record pages (slug and int converters),
# and left unchanged by the quoting `reverse()` applies; anything else goes through it.
PLAIN_VALUE = re.compile(r"[-a-zA-Z0-9_]+")
MARK = "0000000000"


@functools.cache
def _template(name, argument, script_prefix, urlconf):
    """The address of route `name` split around its `argument`, as (before, after)."""
    path = reverse(name, kwargs={argument: MARK}, urlconf=urlconf)
    before, _mark, after = path.partition(MARK)
    return before, after


def path_template(name, argument):
    """(before, after): the address of route `name` is before + value + after."""
    return _template(name, argument, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def record_path(name, argument, value):
    """`reverse(name, kwargs={argument: value})`, without matching the route again."""
    value = str(value)
    if not PLAIN_VALUE.fullmatch(value):
        return reverse(name, kwargs={argument: value})
    before, after = path_template(name, argument)
    return f"{before}{value}{after}"

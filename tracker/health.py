"""The health endpoint load balancers probe: healthy only when the database and the shared
cache both answer, and it says which ones it reached (an operator checks a new server's
settings here).

With a read replica it also says whether the replica answers and how many seconds it lags;
an unreachable replica makes the answer "degraded" but not a failure (503): taking every app
server out of the load balancer would not bring it back, and the admin and the reading desk
still work on the primary.
"""

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import routers, shared_cache

logger = logging.getLogger(__name__)


def check_database():
    report = shared_cache.describe_database(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.error("Health check: the database does not answer: %s", error)
        return {"status": "unreachable", **report}
    return {"status": "ok", **report}


@login_not_required
@never_cache
@require_safe
def healthz(request):
    database = check_database()
    body = {"status": "ok", "database": database}
    if database["status"] == "ok":
        # The throttle's counters are a cache of their own (tracker/api/throttle_store.py).
        body["cache"] = shared_cache.check("default")
        body["throttle"] = shared_cache.check("throttle")
    if any(part["status"] != "ok" for part in body.values() if isinstance(part, dict)):
        body["status"] = "unavailable"
        return JsonResponse(body, status=503)
    replica = routers.replica_status()
    if replica is not None:
        body.update(replica)
        if replica["replica"] != "ok":
            body["status"] = "degraded"
    return JsonResponse(body)

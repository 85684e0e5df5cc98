"""The health endpoint load balancers probe: healthy only when the database answers.

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

from . import routers

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_safe
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.error("Health check: the database does not answer: %s", error)
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    body = {"status": "ok", "database": "ok"}
    # --- read replica (tracker/routers.py) ---
    replica = routers.replica_status()
    if replica is not None:
        body.update(replica)
        if replica["replica"] != "ok":
            body["status"] = "degraded"
    # --- end read replica ---
    return JsonResponse(body)

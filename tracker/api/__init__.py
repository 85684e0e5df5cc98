"""The read-only JSON API for partners under /api/v1/: token or session, throttled, cached,
documented by its OpenAPI schema."""

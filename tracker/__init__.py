"""The stakeholder tracker: organisations, people, agreements, commitments, and the quotes of
the sources that back each fact; the admin and the staff UI here, the API in `tracker.api`."""

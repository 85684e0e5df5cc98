"""A commitment's current status, kept from its progress reports.

A commitment's `status` and `met_on` are those of its latest dated report, or the
commitment's own (as staff typed them) until it has one. Its `latest_news_on` and
`status_changed_on` are the dates of its latest report and of the latest report that gave it a
new status, which the lists of what needs attention filter on. `follow_reports` keeps one
commitment so and `follow_reports_in_bulk` many; every write path calls one of them: a
report's save and delete (tracker/signals.py, so the admin, the reading desk and the fixture
loader), the generator and restore, which write without signals.
"""

from django.db import router

from .choices import CommitmentStatus

MET = (CommitmentStatus.MET, CommitmentStatus.PARTLY_MET)
FOLLOWED_FIELDS = (
    "status",
    "met_on",
    "own_status",
    "own_met_on",
    "latest_news_on",
    "status_changed_on",
)


def last_status_change(own_status, reports):
    """The latest date a report gave a new status: one other than the latest report dated
    before it said, or than `own_status` when none is (reports of one day do not compare with
    each other). `reports` are latest first; None if no report changed the status."""
    changed_on = None
    day, before, last = None, own_status, own_status
    for report in reversed(reports):  # earliest first; of one day, the one recorded first
        if report.reported_on != day:
            day, before = report.reported_on, last
        if report.status != before:
            changed_on = report.reported_on
        last = report.status
    return changed_on


def followed_state(commitment, reports):
    """The commitment's FOLLOWED_FIELDS given its reports.

    `reports` are the commitment's reports, latest first. A met status is dated by the
    earliest report of the latest run of reports with that status: a report repeating that a
    commitment is met does not move the day it was met.
    """
    if not reports:
        if not commitment.own_status:
            return commitment.status, commitment.met_on, "", None, None, None
        return commitment.own_status, commitment.own_met_on, "", None, None, None
    own_status, own_met_on = commitment.own_status, commitment.own_met_on
    if not own_status:
        own_status, own_met_on = commitment.status, commitment.met_on
    latest = reports[0]
    met_on = None
    if latest.status in MET:
        for report in reports:
            if report.status != latest.status:
                break
            met_on = report.reported_on
    changed_on = last_status_change(own_status, reports)
    return latest.status, met_on, own_status, own_met_on, latest.reported_on, changed_on


def apply_state(commitment, reports):
    """Set the followed fields on `commitment`; True if any changed."""
    state = dict(zip(FOLLOWED_FIELDS, followed_state(commitment, reports), strict=True))
    changed = any(getattr(commitment, name) != value for name, value in state.items())
    for name, value in state.items():
        setattr(commitment, name, value)
    return changed


def follow_reports(commitment_id):
    """Bring one commitment's status and `met_on` in line with its reports (with history)."""
    from .models import Commitment

    commitment = Commitment.objects.select_related("agreement").filter(pk=commitment_id).first()
    if commitment is None:  # deleted with its reports
        return
    reports = list(commitment.reports.latest_first())
    if apply_state(commitment, reports):
        commitment._change_reason = "Status followed from its progress reports"
        commitment.save(update_fields=FOLLOWED_FIELDS)


def follow_reports_in_bulk(commitments):
    """`follow_reports` for every commitment of a queryset, in a few queries and no history.

    For bulk writers (the generator, restore) that write reports without signals.
    """
    from .data_version import changed_on_commit
    from .models import Commitment, CommitmentReport
    from .querysets import update_in_bulk

    changed = []
    batch = 2000
    ids = list(commitments.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        by_commitment = {}
        for report in CommitmentReport.objects.filter(commitment_id__in=chunk).latest_first():
            by_commitment.setdefault(report.commitment_id, []).append(report)
        rows = Commitment.objects.filter(pk__in=chunk).only("pk", *FOLLOWED_FIELDS)
        changed.extend(row for row in rows if apply_state(row, by_commitment.get(row.pk, [])))
    update_in_bulk(Commitment, changed, FOLLOWED_FIELDS, using=router.db_for_write(Commitment))
    for start in range(0, len(ids), batch):
        Commitment.objects.filter(pk__in=ids[start : start + batch]).keep_last_heard()
    if changed:
        changed_on_commit()
    return len(changed)

"""Deletions the foreign keys alone would allow but the records forbid: a party stays on an
agreement while it has commitments in it. And what follows from a write: a source's
fingerprints, a commitment's status from its progress reports."""

from django.db.models import ProtectedError
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .models import AgreementParty, CommitmentReport, Source
from .reports import follow_reports


@receiver(pre_delete, sender=AgreementParty)
def keep_parties_with_commitments(sender, instance, **kwargs):
    """A party that made commitments in an agreement stays a party while they exist."""
    commitments = instance.commitments_made()
    if commitments.exists():
        raise ProtectedError(
            _(
                "%(organisation)s cannot be removed from this agreement while it has "
                "commitments in it; delete or reassign them first."
            )
            % {"organisation": instance.organisation.name},
            set(commitments),
        )


@receiver(post_save, sender=Source)
def refresh_source_fingerprints(sender, instance, raw=False, **kwargs):
    """Keep the hashes that find duplicates current; a raw load (a restore) brings its own."""
    if not raw:
        from .ingest import refresh_fingerprints

        refresh_fingerprints(instance)


@receiver(post_save, sender=CommitmentReport)
@receiver(post_delete, sender=CommitmentReport)
def follow_commitment_reports(sender, instance, raw=False, **kwargs):
    """A report's commitment takes the status of its latest report; a raw load (a restore)
    follows all of them at its end (`reports.follow_reports_in_bulk`)."""
    if not raw:
        follow_reports(instance.commitment_id)

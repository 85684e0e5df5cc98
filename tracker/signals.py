from django.db.models import ProtectedError
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .models import AgreementParty, Commitment


@receiver(pre_delete, sender=AgreementParty)
def keep_parties_with_commitments(sender, instance, **kwargs):
    """A party that made commitments in an agreement stays a party while they exist.

    The commitment's foreign keys point at the agreement and the organisation, not at the
    party row, so the database alone would let the party go and leave a commitment by a
    non-party behind.
    """
    commitments = Commitment.objects.filter(
        agreement_id=instance.agreement_id, party_id=instance.organisation_id
    )
    if commitments.exists():
        raise ProtectedError(
            _(
                "%(organisation)s cannot be removed from this agreement while it has "
                "commitments in it; delete or reassign them first."
            )
            % {"organisation": instance.organisation.name},
            set(commitments),
        )

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import DetailView

from .models import Agreement, Commitment, Organisation, Person, Source


class RecordDetailView(LoginRequiredMixin, DetailView):
    template_name = "tracker/record_detail.html"

    def get_queryset(self):
        return self.model.objects.with_related()


class OrganisationDetailView(RecordDetailView):
    model = Organisation


class PersonDetailView(RecordDetailView):
    model = Person


class AgreementDetailView(RecordDetailView):
    model = Agreement


class CommitmentDetailView(RecordDetailView):
    model = Commitment


class SourceDetailView(RecordDetailView):
    model = Source

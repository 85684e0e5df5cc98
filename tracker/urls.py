"""The staff UI's addresses: its login and logout, the dashboard, the map, suggestions for
record inputs, and a list and a detail page per kind of record."""

from django.urls import path

from . import changes, desk, proposals, views

app_name = "tracker"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("map/", views.AgreementMapView.as_view(), name="map"),
    path("changes/", changes.RecentChangesView.as_view(), name="recent-changes"),
    path("suggest/<slug:kind>/", views.SuggestView.as_view(), name="suggest"),
    path("organisations/", views.OrganisationListView.as_view(), name="organisation-list"),
    path(
        "organisations/<slug:slug>/",
        views.OrganisationDetailView.as_view(),
        name="organisation-detail",
    ),
    path("people/", views.PersonListView.as_view(), name="person-list"),
    path("people/<slug:slug>/", views.PersonDetailView.as_view(), name="person-detail"),
    path("agreements/", views.AgreementListView.as_view(), name="agreement-list"),
    path("agreements/<slug:slug>/", views.AgreementDetailView.as_view(), name="agreement-detail"),
    path("commitments/", views.CommitmentListView.as_view(), name="commitment-list"),
    path("commitments/<int:pk>/", views.CommitmentDetailView.as_view(), name="commitment-detail"),
    path("sources/", views.SourceListView.as_view(), name="source-list"),
    path("disagreements/", views.DisagreementListView.as_view(), name="disagreement-list"),
    path("sources/<slug:slug>/", views.SourceDetailView.as_view(), name="source-detail"),
    path(
        "sources/<slug:slug>/proposals/",
        proposals.ProposalsView.as_view(),
        name="source-proposals",
    ),
    path(
        "sources/<slug:slug>/proposals/dismiss/",
        proposals.DismissView.as_view(),
        name="proposal-dismiss",
    ),
    path(
        "sources/<slug:slug>/desk/new/<slug:kind>/",
        desk.CreateFromSelectionView.as_view(),
        name="desk-new",
    ),
    path("sources/<slug:slug>/desk/attach/", desk.AttachToRecordView.as_view(), name="desk-attach"),
    path(
        "sources/<slug:slug>/desk/records/", desk.RecordSuggestView.as_view(), name="desk-records"
    ),
]

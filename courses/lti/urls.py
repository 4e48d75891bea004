from __future__ import annotations

from django.urls import path

from courses.lti import views, views_roster

urlpatterns = [
    path("login/", views.oidc_login, name="lti_login"),
    path("<uuid:registration_uuid>/login/", views.oidc_login, name="lti_login_for"),
    path("launch/", views.launch, name="lti_launch"),
    path("jwks.json", views.jwks, name="lti_jwks"),
    path("deep-link/<str:token>/", views.deep_link, name="lti_deep_link"),
    path("classes/<int:cohort_id>/roster/", views_roster.roster, name="lti_roster"),
]

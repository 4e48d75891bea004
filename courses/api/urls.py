from __future__ import annotations

from django.urls import path

from courses.api import views

urlpatterns = [
    path("", views.tokens_page, name="api_tokens"),
    path("new/", views.token_add, name="api_token_add"),
    path("<int:token_id>/revoke/", views.token_revoke, name="api_token_revoke"),
]

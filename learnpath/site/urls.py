from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from courses.api.main import api
from courses.languages.views import language_page

admin.site.site_header = "learnpath authoring"
admin.site.site_title = "learnpath"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("lti/", include("courses.lti.urls")),
    path("api/v1/", api.urls),
    path("account/api-tokens/", include("courses.api.urls")),
    path("account/language/", language_page, name="language"),
    path("", include("courses.urls")),
]

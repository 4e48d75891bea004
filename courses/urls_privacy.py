"""A person's data (included from ``courses.urls``), and a course's answers for research."""
from __future__ import annotations

from django.urls import URLPattern, path

from courses.views import privacy

urlpatterns: list[URLPattern] = [
    path("account/data/", privacy.my_data_page, name="my_data"),
    path("account/data/download.json", privacy.my_data_download, name="my_data_download"),
    path("account/data/delete/", privacy.remove_account, name="remove_account"),
    path("teach/courses/<slug:slug>/research-export/", privacy.research_export,
         name="research_export"),
]

"""Uploaded images (:class:`courses.models.ContentImage`), for signed-in readers.

Whitenoise serves only static files, so media comes through here. A file is served only if it
is a stored image, with the type read from its bytes at upload, never guessed from the name;
``nosniff``, an inline disposition and a sandboxing Content-Security-Policy keep a browser from
treating it as anything that could run script. A web server in front may serve ``/media/``
itself with the same headers (docs/content.md, "Images", says which).
"""
from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from courses.models import ContentImage

IMAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, max-age=86400",  # stored names are never reused
    "Cross-Origin-Resource-Policy": "same-origin",
}
# What a stored name can be (``courses.content_images.stored_name``): anything else, a NUL or
# "../" included, is a 404 before the database sees it.
STORED_NAME = re.compile(r"[\w-]+(?:/[\w-]+)*\.[a-z]+")


@require_safe
@login_required
def content_image(request: HttpRequest, name: str) -> FileResponse:
    if not _could_be_stored(name):
        raise Http404(_("No such image."))
    image = ContentImage.objects.filter(file=name).only("name", "file", "content_type").first()
    if image is None or not default_storage.exists(name):
        raise Http404(_("No such image."))
    response = FileResponse(default_storage.open(name, "rb"), content_type=image.content_type)
    response["Content-Disposition"] = f'inline; filename="{image.name}.{image.extension}"'
    for header, value in IMAGE_HEADERS.items():
        response[header] = value
    return response


def _could_be_stored(name: str) -> bool:
    longest = ContentImage._meta.get_field("file").max_length or 0
    return len(name) <= longest and STORED_NAME.fullmatch(name) is not None

"""Images for course texts: uploaded with a name and alt text, checked from their bytes
(:meth:`courses.models.ContentImage.clean`), shown with the Markdown that shows them."""
from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from courses.models import ContentImage


@admin.register(ContentImage)
class ContentImageAdmin(admin.ModelAdmin):
    list_display = ["name", "course", "thumbnail", "markdown", "width", "height", "uploaded_at"]
    list_filter = ["course"]
    search_fields = ["name", "alt_text"]
    fields = ["course", "name", "file", "alt_text", "markdown", "width", "height", "thumbnail"]
    readonly_fields = ["markdown", "width", "height", "thumbnail"]

    @admin.display(description=_("in a text"))
    def markdown(self, image: ContentImage) -> str:
        return f"![](image:{image.name})" if image.name else ""

    @admin.display(description=_("image"))
    def thumbnail(self, image: ContentImage) -> str:
        if not image.pk or not image.file:
            return ""
        return format_html('<img src="{}" alt="{}" style="max-height:80px;max-width:160px">',
                           image.file.url, image.alt_text)

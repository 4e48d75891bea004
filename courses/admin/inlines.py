"""Tabular inlines whose inputs have names: Django's tabular inline labels its columns with
header cells only, so screen readers (and axe) find every input of a row unnamed."""
from __future__ import annotations

from typing import Any

from django import forms


class LabelledInlineFormSet(forms.BaseInlineFormSet):
    """Names each field's input by its column's label (the empty form's too, so rows added in
    the page are named)."""

    def add_fields(self, form: forms.BaseForm, index: Any) -> None:
        super().add_fields(form, index)
        for field in form.fields.values():
            # The admin wraps a foreign key's select (add/change links): the inner widget
            # renders, and the wrapper's attrs are not the copy's.
            widget: forms.Widget = getattr(field.widget, "widget", None) or field.widget
            if field.label:
                widget.attrs.setdefault("aria-label", str(field.label))

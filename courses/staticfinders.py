"""Serves plotly.js from the plotly package itself, so pages load nothing from a CDN."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, overload

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_STATIC_PATH = "vendor/plotly.min.js"
_PACKAGE_DATA = Path(plotly.__file__).parent / "package_data"


class _PrefixedStorage(FileSystemStorage):
    prefix = "vendor"


class PlotlyFinder(BaseFinder):
    """Finds exactly one file: ``vendor/plotly.min.js`` inside the installed plotly package."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = _PrefixedStorage(location=str(_PACKAGE_DATA))

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    @overload
    def find(self, path: str, find_all: Literal[False] = False) -> str: ...

    @overload
    def find(self, path: str, find_all: Literal[True]) -> list[str]: ...

    # ``**kwargs`` still takes the ``all=`` argument that Django < 5.2 passed instead.
    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        if path != PLOTLY_STATIC_PATH:
            return [] if find_all or kwargs.get("all") else ""
        match = str(_PACKAGE_DATA / "plotly.min.js")
        return [match] if find_all or kwargs.get("all") else match

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield "plotly.min.js", self.storage

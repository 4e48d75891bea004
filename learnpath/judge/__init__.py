"""The judge of programming exercises: plain data in and out, no Django, Celery or torch.

:func:`judge` runs a learner's Python program against its tests in a fresh bubblewrap sandbox
and returns a :class:`Verdict`; it raises :class:`SandboxUnavailable` rather than ever run a
program unsandboxed. :mod:`.cases` reads and writes tests and limits as course JSON.
"""
from __future__ import annotations

from learnpath.judge.data import Case, Limits, Outcome, Verdict
from learnpath.judge.engine import check_sandbox, judge
from learnpath.judge.sandbox import SandboxConfig, SandboxUnavailable

__all__ = ["Case", "Limits", "Outcome", "SandboxConfig", "SandboxUnavailable", "Verdict",
           "check_sandbox", "judge"]

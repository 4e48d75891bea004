"""How many threads torch uses, set in one place for what the process is about to do.

torch's thread count is process-wide. Serving scores one learner per request, where one thread
is fastest (``LEARNPATH_INFERENCE_THREADS``, default 1); training wants the cores
(``LEARNPATH_TRAINING["threads"]``, default torch's own choice when the process first asked).
Each use states its purpose before it runs, so a model loaded for serving in a worker never
leaves the next training run on one thread. Denormals are flushed for both (~10× on these CPUs).
"""
from __future__ import annotations

from typing import Literal

from django.conf import settings

_torch_default_threads: int | None = None


def use_torch_for(purpose: Literal["inference", "training"]) -> None:
    import torch

    global _torch_default_threads
    if _torch_default_threads is None:
        _torch_default_threads = torch.get_num_threads()
    if purpose == "inference":
        wanted = int(getattr(settings, "LEARNPATH_INFERENCE_THREADS", 1))
    else:
        wanted = int(settings.LEARNPATH_TRAINING.get("threads") or _torch_default_threads)
    torch.set_flush_denormal(True)
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)

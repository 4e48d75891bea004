"""torch's process-wide settings for serving, set in this one place.

torch's thread count is process-wide. Serving scores one learner per request, where one thread
is fastest (``LEARNPATH_INFERENCE_THREADS``, default 1); each use of a served model states it
before it runs. Training sets its own count from ``LEARNPATH_TRAINING["threads"]`` when a run
starts (:class:`learnpath.seq.TrainConfig`), so a model served in a worker never leaves the next
training run on the serving count, nor the other way round. Denormals are flushed (~10× on these
CPUs).
"""
from __future__ import annotations

from django.conf import settings


def use_torch_for_inference() -> None:
    import torch

    torch.set_flush_denormal(True)
    wanted = settings.LEARNPATH_INFERENCE_THREADS
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)

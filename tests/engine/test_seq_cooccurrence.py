from __future__ import annotations

import numpy as np
import torch

from learnpath.seq.cooccurrence import (
    cooccurrence_neighbours,
    recent_exercises,
    scores_for_all,
    scores_for_candidates,
    scores_for_targets,
    transition_neighbours,
)

# Exercise ids 2..6 (0 pads, 1 is unknown); each row is one window.
EXERCISES = np.array([[2, 3, 4, 2, 3], [2, 3, 5, 0, 0], [6, 2, 3, 1, 4]])


def test_transitions_count_what_directly_follows() -> None:
    ids, scores = transition_neighbours(EXERCISES, vocab=7, keep=2)
    assert ids[2].tolist() == [3, 0] and scores[2].tolist() == [4.0, 0.0]
    assert sorted(zip(ids[3].tolist(), scores[3].tolist(), strict=True)) == [(4, 1.0), (5, 1.0)]
    # Unknown (1) and padding (0) never take part.
    assert scores[1].sum() == 0 and 1 not in ids[3]


def test_cooccurrence_is_cosine_normalised_and_symmetric() -> None:
    ids, scores = cooccurrence_neighbours(EXERCISES, vocab=7, window=1, keep=4)
    similarity = np.zeros((7, 7))
    for source in range(7):
        similarity[source, ids[source]] += scores[source]
    similarity[:, 0] = 0
    np.testing.assert_allclose(similarity, similarity.T)
    # 2 and 3 are adjacent four times; each occurs four times.
    assert similarity[2, 3] == np.float32(4 / np.sqrt(4 * 4))
    assert similarity[2, 4] == np.float32(1 / np.sqrt(4 * 2))
    assert similarity[2, 2] == 0


def test_recent_exercises_look_back_by_lag() -> None:
    recent = recent_exercises(torch.tensor([[2, 3, 4]]), 2)
    assert recent.tolist() == [[[0, 0], [2, 0], [3, 2]]]


def test_candidate_and_target_scores_agree_with_full_scores() -> None:
    ids, scores = cooccurrence_neighbours(EXERCISES, vocab=7, window=2, keep=3)
    tables = (torch.from_numpy(ids), torch.from_numpy(scores))
    recent = recent_exercises(torch.from_numpy(EXERCISES), 2).reshape(-1, 2)
    weights = torch.tensor([1.0, 0.5])
    full = scores_for_all(*tables, recent, weights, 7)
    candidates = torch.tensor([5, 2, 4])
    torch.testing.assert_close(
        scores_for_candidates(*tables, recent, weights, candidates, 7), full[:, candidates]
    )
    targets = torch.from_numpy(EXERCISES).reshape(-1)
    torch.testing.assert_close(
        scores_for_targets(*tables, recent, weights, targets),
        full.gather(1, targets.view(-1, 1)).squeeze(1),
    )

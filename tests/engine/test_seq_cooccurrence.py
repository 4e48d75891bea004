from __future__ import annotations

import numpy as np
import pytest
import torch

from learnpath.seq.cooccurrence import (
    cooccurrence_neighbours,
    exercise_difficulty_offsets,
    recent_exercises,
    scores_for_all,
    scores_for_candidates,
    scores_for_targets,
    transition_neighbours,
    transition_probabilities,
)

# Exercise ids 2..6 (0 pads, 1 is unknown); each row is one window.
EXERCISES = np.array([[2, 3, 4, 2, 3], [2, 3, 5, 0, 0], [6, 2, 3, 1, 4]])


def test_transitions_count_what_directly_follows() -> None:
    ids, scores = transition_neighbours(EXERCISES, vocab=7, keep=2)
    assert ids[2].tolist() == [3, 0] and scores[2].tolist() == [4.0, 0.0]
    assert sorted(zip(ids[3].tolist(), scores[3].tolist(), strict=True)) == [(4, 1.0), (5, 1.0)]
    # Unknown (1) and padding (0) never take part.
    assert scores[1].sum() == 0 and 1 not in ids[3]


def test_transition_probabilities_are_shares_of_what_followed() -> None:
    # 2 -> 3 four times out of four; 3 -> 4, 3 -> 5 and 3 -> 2 once each; 4 -> 4 is a repeat.
    windows = np.array([[2, 3, 4, 4], [2, 3, 5, 0], [2, 3, 2, 3]])
    ids, scores = transition_probabilities(windows, vocab=7, keep=3)
    assert ids[2][0] == 3 and scores[2].tolist() == [1.0, 0.0, 0.0]
    assert sorted(ids[3].tolist()) == [2, 4, 5]
    np.testing.assert_allclose(scores[3], [1 / 3] * 3, rtol=1e-6)
    assert ids[4][0] == 4 and scores[4][0] == 1.0
    # Kept to the likeliest: with keep=1 exercise 3 keeps one of its three, at 1/3.
    ids, scores = transition_probabilities(windows, vocab=7, keep=1)
    np.testing.assert_allclose(scores[3], [1 / 3], rtol=1e-6)


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


def test_difficulty_offsets_say_how_much_harder_an_exercise_is_than_its_skill() -> None:
    # Exercises 2 and 3 share skill 2; 2 is always right, 3 always wrong; 4 was never tried.
    skills = np.array([[1], [1], [2], [2], [3]])
    exercise = np.array([[2, 3, 2, 3, 2, 3, 2, 3, 0, 0]] * 5)
    correct = np.array([[1, 0, 1, 0, 1, 0, 1, 0, 0, 0]] * 5, dtype=np.float32)
    offsets = exercise_difficulty_offsets(exercise, correct, skills, prior=5.0)
    assert offsets[2] > 1.0 and offsets[3] < -1.0
    assert offsets[2] == pytest.approx(-offsets[3], rel=1e-4)  # the skill's rate is one half
    assert offsets[0] == offsets[1] == offsets[4] == 0.0
    # A stronger prior pulls the offsets towards 0.
    assert exercise_difficulty_offsets(exercise, correct, skills, prior=100.0)[2] < offsets[2]

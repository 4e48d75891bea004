"""Small simulated learners for tests and demos (not a benchmark).

Exercises ``e0..`` each carry one or two skills and a difficulty. A learner walks the exercises
mostly in course order (the next one with probability ``follow_rate``, else a random one) and
answers right with probability ``sigmoid(ability + mastery - difficulty)``; mastery of a skill
grows with each attempt on it and decays a little over long breaks. Timestamps advance by
minutes within a session and by days between sessions.
"""

from __future__ import annotations

import math

import numpy as np

from learnpath.seq.records import Attempt, Corpus, LearnerSequence


def simulate_corpus(
    learners: int = 40,
    exercises: int = 12,
    skills: int = 4,
    length: tuple[int, int] = (8, 30),
    follow_rate: float = 0.8,
    seed: int = 0,
) -> Corpus:
    rng = np.random.default_rng(seed)
    exercise_keys = [f"e{index}" for index in range(exercises)]
    exercise_skills = {
        key: tuple(sorted({f"s{index % skills}", f"s{int(rng.integers(skills))}"}))
        for index, key in enumerate(exercise_keys)
    }
    difficulty = rng.normal(0.0, 1.0, exercises)
    sequences = []
    for learner in range(learners):
        ability = rng.normal(0.0, 1.0)
        mastery = dict.fromkeys((f"s{index}" for index in range(skills)), 0.0)
        position = int(rng.integers(exercises))
        timestamp = 1_700_000_000.0 + 86400.0 * learner
        attempts = []
        for step in range(int(rng.integers(length[0], length[1] + 1))):
            new_session = step > 0 and rng.random() < 0.15
            timestamp += 86400.0 * rng.uniform(1, 5) if new_session else 60.0 * rng.uniform(0.5, 10)
            key = exercise_keys[position]
            tagged = exercise_skills[key]
            known = sum(mastery[skill] for skill in tagged) / len(tagged)
            logit = ability + known - difficulty[position]
            correct = bool(rng.random() < 1.0 / (1.0 + math.exp(-logit)))
            attempts.append(Attempt(key, correct, timestamp, new_session))
            for skill in tagged:
                mastery[skill] = mastery[skill] * (0.8 if new_session else 1.0) + (
                    0.5 if correct else 0.3
                )
            follow = rng.random() < follow_rate
            position = (position + 1) % exercises if follow else int(rng.integers(exercises))
        sequences.append(LearnerSequence(f"learner{learner}", tuple(attempts)))
    return Corpus(tuple(sequences), exercise_skills)

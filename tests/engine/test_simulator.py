from __future__ import annotations

import itertools
import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from learnpath.sim import (
    BehaviouralPolicy,
    LearnerTraits,
    Observation,
    ObservedAttempt,
    RandomPolicy,
    SimCourse,
    SimExercise,
    SimSkill,
    SimulatedLearner,
    StreakPolicy,
    draw_learner,
    evaluate_policy,
    simulate_population,
)

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def chain_course(n_skills: int, exercises_per_skill: int = 5) -> SimCourse:
    """s0 -> s1 -> ... with one exercise per difficulty level for each skill."""
    skills = [SimSkill(f"s{i}", (f"s{i - 1}",) if i else ()) for i in range(n_skills)]
    exercises = [
        SimExercise(f"s{i}-d{d}", (f"s{i}",), d)
        for i in range(n_skills)
        for d in range(1, exercises_per_skill + 1)
    ]
    return SimCourse(tuple(skills), tuple(exercises))


def plain_traits(**overrides: float) -> LearnerTraits:
    values = dict(
        aptitude=0.0,
        learning_rate=0.35,
        slip=0.1,
        guess=0.2,
        forgetting_rate=0.1,
        sessions_per_week=3.0,
        persistence=0.5,
        hint_propensity=0.0,
    )
    values.update(overrides)
    return LearnerTraits(**values)


def make_learner(
    course: SimCourse, knowledge: dict[str, float], seed: int = 0, **traits: float
) -> SimulatedLearner:
    return SimulatedLearner(course, plain_traits(**traits), knowledge, random.Random(seed), START)


def practise(learner: SimulatedLearner, exercise_key: str, times: int) -> None:
    at = learner.clock
    for _ in range(times):
        learner.attempt(exercise_key, at)
        at += timedelta(minutes=2)


TWO_SKILLS = SimCourse(
    (SimSkill("a"), SimSkill("b", ("a",))),
    tuple(SimExercise(f"{s}{d}", (s,), d) for s in "ab" for d in range(1, 6)),
)


@pytest.mark.parametrize(
    ("skills", "exercises", "message"),
    [
        ((SimSkill("a"), SimSkill("a")), (SimExercise("e", ("a",)),), "duplicate skill"),
        ((SimSkill("a", ("zz",)),), (SimExercise("e", ("a",)),), "unknown skills"),
        ((SimSkill("a"),), (SimExercise("e", ("b",)),), "unknown skills"),
        ((SimSkill("a", ("b",)), SimSkill("b", ("a",))), (SimExercise("e", ("a",)),), "cycle"),
        ((SimSkill("a"),), (), "at least one exercise"),
        ((SimSkill("a"),), (SimExercise("e", ("a",)), SimExercise("e", ("a",))), "duplicate"),
    ],
)
def test_course_rejects_inconsistent_definitions(skills, exercises, message):
    with pytest.raises(ValueError, match=message):
        SimCourse(skills, exercises)


@pytest.mark.parametrize("difficulty", [0, 6])
def test_exercise_difficulty_must_be_one_to_five(difficulty):
    with pytest.raises(ValueError, match="difficulty"):
        SimExercise("e", ("a",), difficulty)


def test_topological_order_puts_prerequisites_first_then_course_order():
    course = SimCourse(
        (SimSkill("c", ("a",)), SimSkill("a"), SimSkill("b")),
        (SimExercise("e", ("a",)),),
    )
    assert course.topological_order == ("a", "c", "b")


def test_population_is_reproducible_from_the_seed():
    course = chain_course(4)
    first = simulate_population(course, 5, seed=11, start=START)
    again = simulate_population(course, 5, seed=11, start=START)
    other = simulate_population(course, 5, seed=12, start=START)
    assert first == again
    assert [h.attempts for h in first] != [h.attempts for h in other]


def test_policies_meet_the_same_population():
    course = chain_course(4)
    random_run = evaluate_policy(course, RandomPolicy, 20, 30, seed=5)
    graph_run = evaluate_policy(course, StreakPolicy, 20, 30, seed=5)
    assert [ev.traits for ev in random_run.learners] == [ev.traits for ev in graph_run.learners]
    assert [ev.initial_knowledge for ev in random_run.learners] == [
        ev.initial_knowledge for ev in graph_run.learners
    ]
    assert [ev.final_knowledge for ev in random_run.learners] != [
        ev.final_knowledge for ev in graph_run.learners
    ]
    assert draw_learner(course, 5, 3, START).traits == random_run.learners[3].traits


def test_p_correct_stays_within_guess_and_one_minus_slip():
    course = TWO_SKILLS
    novice = make_learner(course, {"a": 0.0, "b": 0.0}, slip=0.1, guess=0.2)
    expert = make_learner(course, {"a": 1.0, "b": 1.0}, slip=0.1, guess=0.2)
    assert 0.2 <= novice.p_correct("a5") < 0.21
    assert 0.89 < expert.p_correct("a1") <= 0.9
    for level in [0.0, 0.3, 0.6, 0.9, 1.0]:
        learner = make_learner(course, {"a": level, "b": level}, slip=0.1, guess=0.2)
        chances = [learner.p_correct(f"a{d}") for d in range(1, 6)]
        assert all(0.2 <= p <= 0.9 for p in chances)
        assert chances == sorted(chances, reverse=True)


def test_p_correct_rises_with_knowledge():
    chances = [
        make_learner(TWO_SKILLS, {"a": level, "b": 0.0}).p_correct("a3")
        for level in [0.1, 0.3, 0.5, 0.7, 0.9]
    ]
    assert chances == sorted(chances)
    assert chances[-1] - chances[0] > 0.5


def test_knowledge_grows_with_practice():
    learner = make_learner(TWO_SKILLS, {"a": 0.1, "b": 0.05})
    practise(learner, "a1", 6)
    practise(learner, "a3", 10)
    assert learner.knowledge_of("a") > 0.8
    assert learner.knowledge_of("b") == pytest.approx(0.05)
    assert learner.mastered("a", threshold=0.8)
    assert not learner.mastered("b")


def test_prerequisites_gate_learning():
    gains = {}
    for prerequisite in (0.95, 0.05):
        learners = [
            make_learner(TWO_SKILLS, {"a": prerequisite, "b": 0.05}, seed=seed)
            for seed in range(30)
        ]
        for learner in learners:
            practise(learner, "b1", 8)
        gains[prerequisite] = statistics.mean(lr.knowledge_of("b") - 0.05 for lr in learners)
    assert gains[0.95] > 4 * gains[0.05]


def test_productive_struggle_teaches_more_than_too_easy_or_hopeless_items():
    gains = {}
    for difficulty in (1, 3, 5):
        learners = [make_learner(TWO_SKILLS, {"a": 0.5, "b": 0.0}, seed=s) for s in range(40)]
        for learner in learners:
            practise(learner, f"a{difficulty}", 3)
        gains[difficulty] = statistics.mean(lr.knowledge_of("a") - 0.5 for lr in learners)
    assert gains[3] > 1.3 * gains[1]
    assert gains[3] > 1.3 * gains[5]


def test_forgetting_decays_towards_prior_knowledge_and_practice_slows_it():
    retained = {}
    for practice_count in (3, 12):
        learner = make_learner(TWO_SKILLS, {"a": 0.1, "b": 0.0})
        practise(learner, "a2", practice_count)
        learned = learner.knowledge_of("a") - 0.1
        learner.advance(learner.clock + timedelta(days=20))
        assert 0.1 < learner.knowledge_of("a") < 0.1 + learned
        retained[practice_count] = (learner.knowledge_of("a") - 0.1) / learned
    assert retained[12] > retained[3] + 0.1

    steady = make_learner(TWO_SKILLS, {"a": 0.1, "b": 0.0}, forgetting_rate=0.0)
    practise(steady, "a2", 3)
    before = steady.knowledge_of("a")
    steady.advance(steady.clock + timedelta(days=60))
    assert steady.knowledge_of("a") == pytest.approx(before)


def test_hints_follow_the_learners_propensity():
    def hints(propensity: float) -> int:
        learners = [
            make_learner(TWO_SKILLS, {"a": 0.1, "b": 0.0}, seed=s, hint_propensity=propensity)
            for s in range(40)
        ]
        return sum(learner.attempt("a4", START).hint_used for learner in learners)

    assert hints(0.0) == 0
    assert 10 < hints(0.5) < 30
    assert hints(1.0) >= 35


def test_errors_teach_less_than_correct_answers_but_more_than_nothing():
    failing = make_learner(TWO_SKILLS, {"a": 0.4, "b": 0.0}, slip=0.99, guess=0.0)
    succeeding = make_learner(TWO_SKILLS, {"a": 0.4, "b": 0.0}, slip=0.0, guess=0.99)
    assert not failing.attempt("a3", START).correct
    assert succeeding.attempt("a3", START).correct
    error_gain = failing.knowledge_of("a") - 0.4
    success_gain = succeeding.knowledge_of("a") - 0.4
    assert 0.0 < error_gain < 0.6 * success_gain


def test_learner_refuses_naive_or_backward_times():
    learner = make_learner(TWO_SKILLS, {"a": 0.1, "b": 0.0})
    with pytest.raises(ValueError, match="timezone-aware"):
        learner.attempt("a1", datetime(2025, 3, 4, 9, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="back in time"):
        learner.attempt("a1", START - timedelta(seconds=1))


def test_traits_reject_impossible_slip_and_guess():
    with pytest.raises(ValueError, match="slip"):
        plain_traits(slip=0.6, guess=0.5)


def observe(course: SimCourse, history: list[ObservedAttempt]) -> Observation:
    return Observation(course, tuple(history), START)


def seen(key: str, correct: bool) -> ObservedAttempt:
    return ObservedAttempt(key, correct, False, START)


def test_streak_policy_moves_on_after_three_correct_in_a_row():
    policy = StreakPolicy(TWO_SKILLS)
    history: list[ObservedAttempt] = []
    assert policy.choose(observe(TWO_SKILLS, history)) == "a2"
    history += [seen("a2", True), seen("a3", False)]
    assert policy.choose(observe(TWO_SKILLS, history)) == "a2"
    history += [seen("a2", True), seen("a3", True)]
    assert policy.choose(observe(TWO_SKILLS, history)) == "a4"
    history.append(seen("a4", True))
    assert policy.choose(observe(TWO_SKILLS, history)) == "b2"


def test_streak_policy_prefers_the_least_recently_seen_exercise():
    course = SimCourse((SimSkill("a"),), (SimExercise("x", ("a",), 2), SimExercise("y", ("a",), 2)))
    policy = StreakPolicy(course)
    history = [seen("x", True), seen("x", False)]
    assert policy.choose(observe(course, history)) == "y"


def test_streak_policy_beats_random_order_on_a_chain():
    course = chain_course(5)
    random_run = evaluate_policy(course, RandomPolicy, 60, 60, seed=3)
    graph_run = evaluate_policy(course, StreakPolicy, 60, 60, seed=3)
    assert graph_run.mean_mastery_gain > random_run.mean_mastery_gain + 0.05


def test_behavioural_policy_mostly_follows_course_order_with_some_review():
    course = chain_course(6)
    histories = simulate_population(
        course,
        40,
        seed=9,
        start=START,
        sessions=(4, 4),
        attempts_per_session=(10, 10),
        policy_factory=BehaviouralPolicy,
    )
    position = {key: int(key[1]) for key in (e.key for e in course.exercises)}
    early, late, steps = [], [], []
    for history in histories:
        positions = [position[a.exercise_key] for a in history.attempts]
        early += positions[:10]
        late += positions[-10:]
        steps += [later - earlier for earlier, later in itertools.pairwise(positions)]
    assert statistics.mean(late) > statistics.mean(early) + 1
    backward_share = sum(step < 0 for step in steps) / len(steps)
    assert 0.02 < backward_share < 0.3


def test_evaluation_censors_learners_who_never_reach_the_target():
    course = chain_course(3)
    result = evaluate_policy(course, StreakPolicy, 10, 1, seed=2)
    assert result.mean_attempts_to_target is None
    assert result.reached_target_share == 0.0
    assert result.censored_mean_attempts_to_target == 1.0


def test_evaluation_counts_attempts_until_the_targets_are_mastered():
    course = chain_course(3)
    result = evaluate_policy(course, StreakPolicy, 30, 150, seed=4, target_skills=["s0"])
    assert result.target_skills == ("s0",)
    assert result.reached_target_share > 0.5
    reached = [ev.attempts_to_target for ev in result.learners if ev.attempts_to_target]
    assert all(1 <= count <= 150 for count in reached)
    assert result.mean_attempts_to_target == pytest.approx(statistics.mean(reached))
    assert result.censored_mean_attempts_to_target >= result.mean_attempts_to_target
    gains = [ev.final_knowledge["s0"] - ev.initial_knowledge["s0"] for ev in result.learners]
    assert result.mean_mastery_gain == pytest.approx(statistics.mean(gains))
    with pytest.raises(ValueError, match="unknown target"):
        evaluate_policy(course, StreakPolicy, 1, 1, seed=4, target_skills=["nope"])


class UnknownExercisePolicy:
    def __init__(self, course: SimCourse, rng: random.Random) -> None:
        self.course = course

    def choose(self, observation: Observation) -> str:
        return "not-an-exercise"


def test_a_policy_must_choose_an_exercise_of_the_course():
    with pytest.raises(ValueError, match="unknown exercise"):
        simulate_population(
            chain_course(2), 1, seed=1, start=START, policy_factory=UnknownExercisePolicy
        )


def test_timestamps_form_sessions_separated_by_long_breaks():
    histories = simulate_population(
        chain_course(4), 30, seed=21, start=START, sessions=(2, 5), attempts_per_session=(3, 9)
    )
    for history in histories:
        attempts = history.attempts
        sessions = [a.session_index for a in attempts]
        assert 2 <= len(set(sessions)) <= 5
        assert all(3 <= sessions.count(s) <= 9 for s in set(sessions))
        assert START <= attempts[0].started_at <= START + timedelta(days=2)
        for attempt in attempts:
            assert attempt.started_at.tzinfo is not None
            assert timedelta(seconds=5) <= attempt.submitted_at - attempt.started_at
            assert attempt.submitted_at - attempt.started_at <= timedelta(minutes=15)
        for before, after in itertools.pairwise(attempts):
            gap = after.started_at - before.submitted_at
            if after.session_index == before.session_index:
                assert timedelta(0) < gap < timedelta(minutes=30)
            else:
                assert after.session_index == before.session_index + 1
                assert gap > timedelta(minutes=30)


def test_simulated_attempts_become_model_records_with_the_simulators_sessions():
    from learnpath.sim.records import model_attempts

    history = simulate_population(chain_course(3), 1, seed=3, start=START,
                                  sessions=(3, 3), attempts_per_session=(2, 2))[0]
    records = list(model_attempts(history.attempts))
    assert [r.exercise for r in records] == [a.exercise_key for a in history.attempts]
    assert [r.timestamp for r in records] == [a.submitted_at.timestamp()
                                              for a in history.attempts]
    indexes = [a.session_index for a in history.attempts]
    assert [r.new_session for r in records] == [
        n == 0 or indexes[n] != indexes[n - 1] for n in range(len(indexes))]
    assert sum(r.new_session for r in records) == len(set(indexes)) == 3

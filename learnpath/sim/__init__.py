"""The learner simulator and the policies it drives: :mod:`.model` (course and learner model),
:mod:`.policies` (baselines and the app's rules), :mod:`.population` (populations and the
offline evaluation). The names below are the simulator's public interface."""
from __future__ import annotations

from learnpath.sim.model import (
    LearnerTraits,
    SimCourse,
    SimExercise,
    SimOutcome,
    SimSkill,
    SimulatedLearner,
    draw_initial_knowledge,
)
from learnpath.sim.policies import (
    BehaviouralPolicy,
    Observation,
    ObservedAttempt,
    PlannerPolicy,
    Policy,
    PolicyFactory,
    RandomPolicy,
    SkillGraphRulePolicy,
    StreakPolicy,
    planner_factory,
    rule_factory,
)
from learnpath.sim.population import (
    LearnerEvaluation,
    PolicyResult,
    SimAttempt,
    SimHistory,
    draw_learner,
    evaluate_policy,
    simulate_population,
)

__all__ = [
    "BehaviouralPolicy", "LearnerEvaluation", "LearnerTraits", "Observation", "ObservedAttempt",
    "PlannerPolicy", "Policy", "PolicyFactory", "PolicyResult", "RandomPolicy", "SimAttempt",
    "SimCourse", "SimExercise", "SimHistory", "SimOutcome", "SimSkill", "SimulatedLearner",
    "SkillGraphRulePolicy", "StreakPolicy", "draw_initial_knowledge", "draw_learner",
    "evaluate_policy", "planner_factory", "rule_factory", "simulate_population",
]

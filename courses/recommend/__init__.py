"""Recommendation: a learner's learning path (teacher pins, then the planner's picks, each with
its reason) and the next exercise to practise."""

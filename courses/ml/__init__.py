"""The model lifecycle: training runs (queue, claim, recover, train, register, promote), the
registry of trained versions and the models loaded from it, and each learner's recurrent state.

The only package of the app that imports :mod:`learnpath.seq` (always lazily, inside functions:
nothing loads torch at start-up), and the one place where stored history becomes the model's
attempt records (:mod:`courses.ml.records`).
"""

"""learnpath's engine: skill graphs, mastery, answers, paths, the learner simulator and the
sequence model, as plain data in and out. It imports nothing at package level and never Django or
Celery; the Django project that serves it lives in :mod:`learnpath.site`."""

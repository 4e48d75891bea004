"""What changes state. Views, tasks, commands and the admin call these; models stay thin.

The naming rule (``tests/test_architecture.py`` checks it for every public function here): a
function either *checks* (``check_*``, ``read_*``, ``parse_*``, ``validate_*``: validates, raises
a :class:`courses.errors.ServiceError` subclass with a message for the person who caused it, and
writes nothing) or *changes state* inside one transaction (``record_*``, ``import_*``,
``add_*``, ``remove_*``, ``apply_*``, ``rebuild_*``, ``fit_*``, ``enrol``, ``simulate_*``, and
``follow_up_*``, which runs after a commit). Reads live in :mod:`courses.queries`; the model
lifecycle in :mod:`courses.ml`.
"""

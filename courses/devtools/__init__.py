"""Development tools: benchmarks (``bench_*``), the offline path evaluation
(``evaluate_paths``), and the load and fault drills (``load_test``, ``fault_test``).

A Django app of its own so that production does not install it: settings add it when
``DEBUG`` is on or ``LEARNPATH_DEV_TOOLS=1``. It uses the product's services like any caller.
"""

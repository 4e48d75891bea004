"""A simulated LTI 1.3 platform (an LMS) for the tests: see :mod:`.platform`."""

"""Programming exercises: a learner's program is stored at once as a pending submission, judged
in a sandbox (:mod:`learnpath.judge`) by a worker of the ``judge`` queue, never by a web
process, and a judged submission becomes an attempt like any other (:mod:`.service`)."""

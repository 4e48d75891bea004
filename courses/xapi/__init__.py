"""xAPI statements to a learning record store: *answered* (each attempt), *mastered* (a skill
reaching mastery) and *completed* (every skill of a course mastered), written into the outbox
with the attempt that causes them (:mod:`.events`), built in :mod:`.statements` and posted by
:mod:`.lrs`. Nothing is written while ``XAPI_LRS_URL`` is unset."""

"""The outbox: one home for everything sent to another system (xAPI statements, LTI grades).

A fact and the message announcing it are written in one transaction (:func:`.service.enqueue`),
and a Celery worker delivers the message afterwards through the sender its channel registered
(:mod:`.senders`), retrying with backoff until the other side has it. The app knows no channel:
each channel's app registers its sender in its ``ready()``.
"""

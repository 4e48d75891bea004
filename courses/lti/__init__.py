"""LTI 1.3 / LTI Advantage, the tool side: learnpath launched from an LMS (Moodle, Canvas).

The protocol is django-lti's (``lti_tool``) and pylti1p3's; this app adds what learnpath needs
around it: the launch's people as accounts and classes, deep linking to a course or a skill, the
roster from Names and Role Provisioning, mastery as a score in the LMS gradebook (Assignment and
Grade Services, through the outbox), key rotation, and the LMS's iframe.
"""

"""The name a learner goes by in xAPI statements."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Pseudonym(models.Model):
    """Random and stored, so that it never changes (not with the secret key, the username or
    the site's address) and says nothing about the account; deleting the user deletes it, and
    the statements in the LRS can no longer be tied to anyone."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="xapi_pseudonym")
    name = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    def __str__(self) -> str:
        return str(self.name)

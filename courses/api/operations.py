"""Retraining runs (start one, read its status; admins) and your own API tokens."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from courses import access
from courses.api.models import ApiToken
from courses.api.schemas import DENIED, Error, NewTokenOut, TokenIn, TokenOut, TrainingRunOut
from courses.api.tokens import issue_token, revoke_token, signed_in
from courses.errors import NotFound
from courses.ml.training import open_run
from courses.models import TrainingRun

router = Router(tags=["operations"])


def run_out(run: TrainingRun, created: bool = False) -> dict[str, Any]:
    version = run.model_version
    return {"id": run.pk, "course": run.course.slug, "status": run.status,
            "trigger": run.trigger, "progress": run.progress, "message": run.message,
            "created_at": run.created_at, "started_at": run.started_at,
            "finished_at": run.finished_at,
            "model_version": version.number if version else None, "created": created}


@router.post("/courses/{slug}/training-runs", response={201: TrainingRunOut, 200: TrainingRunOut,
                                                         **DENIED})
def start_training(request: HttpRequest, slug: str) -> Status[dict[str, Any]]:
    """Queues a retraining run of the course's model (admins). 201 with the new run; 200 with
    the run already queued or running, when there is one."""
    access.check_admin(signed_in(request))
    run, created = open_run(access.course_or_404(slug), TrainingRun.Trigger.ADMIN)
    return Status(201 if created else 200, run_out(run, created))


@router.get("/training-runs/{run_id}", response={200: TrainingRunOut, **DENIED})
def training_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    access.check_admin(signed_in(request))
    run = TrainingRun.objects.select_related("course", "model_version").filter(pk=run_id).first()
    if run is None:
        raise NotFound("There is no such training run.")
    return run_out(run)


def token_out(token: ApiToken) -> dict[str, Any]:
    return {"id": token.pk, "name": token.name, "prefix": token.prefix,
            "created_at": token.created_at, "last_used_at": token.last_used_at,
            "expires_at": token.expires_at, "revoked_at": token.revoked_at}


@router.get("/tokens", response={200: list[TokenOut], **DENIED})
def list_tokens(request: HttpRequest) -> list[dict[str, Any]]:
    """Your API tokens, revoked ones included (the token itself is never shown again)."""
    return [token_out(t) for t in ApiToken.objects.filter(user=signed_in(request))]


@router.post("/tokens", response={201: NewTokenOut, 400: Error, **DENIED})
def make_token(request: HttpRequest, body: TokenIn) -> Status[dict[str, Any]]:
    """Makes an API token for you; the response is the only time it is shown."""
    user = signed_in(request)
    made = issue_token(user, body.name, body.expires_at)
    return Status(201, {**token_out(made.token), "token": made.secret})


@router.delete("/tokens/{token_id}", response={200: TokenOut, **DENIED})
def delete_token(request: HttpRequest, token_id: int) -> dict[str, Any]:
    """Revokes one of your tokens: it authenticates nobody from now on."""
    user = signed_in(request)
    return token_out(revoke_token(user, token_id))

"""The xAPI 1.0.3 rules our statements must keep (Data.md, part two of the specification), as a
checker that lists every breach: required properties, a UUID id, exactly one inverse functional
identifier for the actor (an account here, never an e-mail), IRIs for verbs, activities and
extensions, the result's types, ISO 8601 timestamps and durations."""
from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


def _iri(value: Any) -> bool:
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def _language_map(value: Any) -> bool:
    return (isinstance(value, dict) and bool(value)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()))


def _activity(value: Any, where: str) -> list[str]:
    if not isinstance(value, dict) or value.get("objectType", "Activity") != "Activity":
        return [f"{where} is not an activity"]
    problems = [] if _iri(value.get("id")) else [f"{where}.id is not an IRI"]
    definition = value.get("definition", {})
    if "type" in definition and not _iri(definition["type"]):
        problems.append(f"{where}.definition.type is not an IRI")
    for name in ("name", "description"):
        if name in definition and not _language_map(definition[name]):
            problems.append(f"{where}.definition.{name} is not a language map")
    return problems


def _actor(actor: Any) -> list[str]:
    if not isinstance(actor, dict):
        return ["actor is missing"]
    found = [name for name in IFIS if name in actor]
    if found != ["account"]:
        return [f"actor must be identified by an account alone, has {found}"]
    account = actor["account"]
    problems = []
    if not _iri(account.get("homePage")):
        problems.append("actor.account.homePage is not an IRL")
    if not isinstance(account.get("name"), str) or not account["name"]:
        problems.append("actor.account.name is missing")
    return problems


def _result(result: Any) -> list[str]:
    if not isinstance(result, dict):
        return ["result is not an object"]
    problems = []
    for name in ("success", "completion"):
        if name in result and not isinstance(result[name], bool):
            problems.append(f"result.{name} is not a boolean")
    if "response" in result and not isinstance(result["response"], str):
        problems.append("result.response is not a string")
    if "duration" in result and not DURATION.match(str(result["duration"])):
        problems.append(f"result.duration {result['duration']!r} is not an ISO 8601 duration")
    scaled = result.get("score", {}).get("scaled", 0)
    if not isinstance(scaled, int | float) or not -1 <= scaled <= 1:
        problems.append("result.score.scaled is not in [-1, 1]")
    problems += [f"result extension {key!r} is not an IRI"
                 for key in result.get("extensions", {}) if not _iri(key)]
    return problems


def _context(context: Any) -> list[str]:
    if not isinstance(context, dict):
        return ["context is not an object"]
    problems = []
    for kind, activities in context.get("contextActivities", {}).items():
        if kind not in ("parent", "grouping", "category", "other"):
            problems.append(f"context.contextActivities.{kind} is not a known kind")
        for index, activity in enumerate(activities if isinstance(activities, list) else [None]):
            problems += _activity(activity, f"context.contextActivities.{kind}[{index}]")
    reference = context.get("statement")
    if reference is not None and (reference.get("objectType") != "StatementRef"
                                  or not _uuid(reference.get("id"))):
        problems.append("context.statement is not a StatementRef with a UUID")
    return problems


def _uuid(value: Any) -> bool:
    try:
        return str(uuid.UUID(str(value))) == str(value).lower()
    except ValueError:
        return False


def breaches(statement: dict[str, Any]) -> list[str]:
    """Every rule ``statement`` breaks; empty when it keeps them all."""
    problems = [f"{name} is missing" for name in ("id", "actor", "verb", "object", "timestamp")
                if name not in statement]
    if "id" in statement and not _uuid(statement["id"]):
        problems.append("id is not a UUID")
    problems += _actor(statement.get("actor"))
    verb = statement.get("verb", {})
    if not _iri(verb.get("id")):
        problems.append("verb.id is not an IRI")
    if "display" in verb and not _language_map(verb["display"]):
        problems.append("verb.display is not a language map")
    problems += _activity(statement.get("object"), "object")
    if "result" in statement:
        problems += _result(statement["result"])
    if "context" in statement:
        problems += _context(statement["context"])
    if not TIMESTAMP.match(str(statement.get("timestamp", ""))):
        problems.append("timestamp is not ISO 8601 with a time zone")
    if "mbox" in str(statement) or "@" in str(statement.get("actor", "")):
        problems.append("an e-mail address is in the statement")
    return problems

"""The OpenAPI description served at /api/v1/openapi.json."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from crisisroom.choices import IncidentStatus, Severity
from foundation.validation import (
    MAX_BIGINT,
    MAX_INTEGER,
    NO_NUL_PATTERN,
    NON_BLANK_PATTERN,
    SLUGGABLE_PATTERN,
)
from monitoring.choices import SentimentLabel

# A string the server takes as given: at least one non-space character, no NUL
# (what foundation.validation.text(required=True) accepts).
NON_BLANK = NON_BLANK_PATTERN
NO_NUL = NO_NUL_PATTERN
SENTIMENTS = list(SentimentLabel.values)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "The request is malformed; the message says how."),
    "401": _json(_ref("Error"), "No token or an invalid token."),
    "403": _json(_ref("Error"), "The token's user may not do this."),
    "405": _json(_ref("Error"), "This method is not allowed here."),
    "500": _json(_ref("Error"), "An unexpected error (logged); still JSON."),
    "503": {
        **_json(_ref("Error"), "The database or the queue (Redis) is briefly unavailable."),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before retrying.",
                "schema": {"type": "integer"},
            }
        },
    },
}

# Writes that create accept an Idempotency-Key (crisisroom/idempotency.py).
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string (say a UUID) per intended write. The same key from "
    "the same token within 24 hours returns the first answer (with the header "
    "Idempotent-Replayed: true) and does nothing again, so a timed-out request can "
    "be retried safely. The same key with a different request is refused with 422. "
    "Answers of 500 and above are not kept.",
    "schema": {"type": "string", "maxLength": 255},
}
IDEMPOTENT_RESPONSES = {
    "422": _json(_ref("Error"), "This Idempotency-Key was used for a different request.")
}
TOO_LARGE = {"413": _json(_ref("Error"), "The body is larger than the server accepts.")}

_ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _text_body(name: str, description: str, max_length: int | None = None) -> dict[str, Any]:
    """A body of one required text field (not blank, no NUL)."""
    field: dict[str, Any] = {
        "type": "string",
        "description": description,
        "minLength": 1,
        "pattern": NON_BLANK,
    }
    if max_length:
        field["maxLength"] = max_length
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "required": [name], "properties": {name: field}}
            }
        },
    }


def _transition(
    summary: str,
    done: str,
    *,
    body: dict[str, Any] | None = None,
    bad: str = "",
    conflict: str = "",
) -> dict[str, Any]:
    """An incident's state change: POST /incidents/{id}/<verb>, the incident back."""
    responses = {
        **ERRORS,
        "200": _json(_ref("Incident"), done),
        "404": _json(_ref("Error"), "No such incident."),
    }
    if bad:
        responses["400"] = _json(_ref("Error"), bad)
    if conflict:
        responses["409"] = _json(_ref("Error"), conflict)
    operation: dict[str, Any] = {"summary": summary, "parameters": [_ID_PARAM]}
    if body is not None:
        operation["requestBody"] = body
        responses.update(TOO_LARGE)
    operation["responses"] = responses
    return {"post": operation}


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Crisis Room API", "version": "1.0.0"},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "parameters": {"IdempotencyKey": IDEMPOTENCY_KEY},
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {"error": {"type": "string"}},
                "required": ["error"],
            },
            "MentionIn": {
                "type": "object",
                "required": ["source", "external_id", "text", "published_at"],
                "properties": {
                    "source": {"type": "string", "maxLength": 120},
                    "external_id": {"type": "string", "maxLength": 255},
                    "text": {"type": "string", "maxLength": 20000},
                    "published_at": {"type": "string", "format": "date-time"},
                    "url": {"type": "string", "format": "uri"},
                    "author": {"type": "string"},
                    "author_followers": {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": MAX_BIGINT,
                    },
                    "lang": {"type": "string"},
                    "brand": {
                        "type": "string",
                        "description": "Brand slug; otherwise matched by watch terms.",
                    },
                    "repost_of": {
                        "type": "string",
                        "description": "External id (same source) of the post this one "
                        "reposts, boosts or retweets: stored as reach for that original, "
                        "not as a new voice.",
                    },
                    "reply_to": {
                        "type": "string",
                        "description": "External id (same source) of the post this comment "
                        "answers (a PTT push, a Dcard or YouTube comment): linked to it, and "
                        "given its brand when the comment names none.",
                    },
                    "reactions": {
                        "type": "object",
                        "description": "Reaction counts the network shows (PTT 推/噓/→, "
                        "likes); a post sent again updates them.",
                        "properties": {
                            "positive": {"type": "integer", "minimum": 0, "maximum": MAX_INTEGER},
                            "negative": {"type": "integer", "minimum": 0, "maximum": MAX_INTEGER},
                            "neutral": {"type": "integer", "minimum": 0, "maximum": MAX_INTEGER},
                        },
                        "additionalProperties": False,
                    },
                },
            },
            "IngestResult": {
                "type": "object",
                "required": ["accepted", "duplicates", "rejected"],
                "properties": {
                    "accepted": {
                        "type": "integer",
                        "description": "Items stored, reposts of known originals included.",
                    },
                    "duplicates": {
                        "type": "integer",
                        "description": "Items already stored (same source and external_id) "
                        "or near-duplicates: the same normalised text by the same author on "
                        "the same platform about the same brand within 24 hours.",
                    },
                    "rejected": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "index": {"type": "integer"},
                                "error": {"type": "string"},
                            },
                        },
                    },
                },
            },
            "Mention": {"type": "object"},
            "Incident": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "title": {"type": "string"},
                    "brand": {"type": "string"},
                    "status": {"type": "string", "enum": list(IncidentStatus.values)},
                    "severity": {"type": "string", "enum": list(Severity.values)},
                    "category": {"type": "string"},
                    "is_drill": {"type": "boolean"},
                    "started_at": {"type": "string", "format": "date-time"},
                    "opened_at": {"type": "string", "format": "date-time"},
                    "acknowledged_at": {"type": ["string", "null"], "format": "date-time"},
                    "first_response_at": {"type": ["string", "null"], "format": "date-time"},
                    "monitoring_at": {"type": ["string", "null"], "format": "date-time"},
                    "resolved_at": {"type": ["string", "null"], "format": "date-time"},
                    "resolution_summary": {"type": "string"},
                    "dismissed_at": {"type": ["string", "null"], "format": "date-time"},
                },
            },
        },
    },
    "paths": {
        "/mentions": {
            "post": {
                "summary": "Send up to 1000 mentions; valid items are stored even when others are rejected.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    {
                                        "type": "array",
                                        "minItems": 1,
                                        "maxItems": 1000,
                                        "items": _ref("MentionIn"),
                                    },
                                    {
                                        "type": "object",
                                        "required": ["mentions"],
                                        "properties": {
                                            "mentions": {
                                                "type": "array",
                                                "minItems": 1,
                                                "maxItems": 1000,
                                                "items": _ref("MentionIn"),
                                            }
                                        },
                                    },
                                ]
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(_ref("IngestResult"), "What became of each item."),
                    "413": _json(_ref("Error"), "Too many items or too large a body."),
                    **ERRORS,
                },
            },
            "get": {
                "summary": "List mentions, newest first.",
                "description": "Pages by keyset: pass the answer's next_cursor as "
                "?cursor= (with the same filters) for the next older page. Pages are "
                "stable while mentions arrive; next_cursor is null on the last page.",
                "parameters": [
                    {
                        "name": "brand",
                        "in": "query",
                        "schema": {"type": "string", "pattern": NO_NUL},
                    },
                    {
                        "name": "since",
                        "in": "query",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "until",
                        "in": "query",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "sentiment",
                        "in": "query",
                        "schema": {"type": "string", "enum": SENTIMENTS},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                    {
                        "name": "cursor",
                        "in": "query",
                        "description": "next_cursor from the previous page (opaque).",
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["mentions", "count", "next_cursor"],
                            "properties": {
                                "mentions": {"type": "array", "items": {"type": "object"}},
                                "count": {
                                    "type": "integer",
                                    "description": "Mentions on this page.",
                                },
                                "next_cursor": {"type": ["string", "null"]},
                            },
                        },
                        "Mentions.",
                    ),
                    **ERRORS,
                },
            },
        },
        "/incidents": {
            "get": {
                "summary": "List incidents.",
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "enum": list(IncidentStatus.values)},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                ],
                "responses": {"200": _json({"type": "object"}, "Incidents."), **ERRORS},
            },
            "post": {
                "summary": "Raise an incident by hand.",
                "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["title", "brand"],
                                "properties": {
                                    "title": {
                                        "type": "string",
                                        "minLength": 1,
                                        "maxLength": 200,
                                        "pattern": NON_BLANK,
                                    },
                                    "brand": {
                                        "type": "string",
                                        "description": "A slug (letters, digits, hyphens); "
                                        "other text is made one (lower case, accents dropped, "
                                        "other characters removed); created if new.",
                                        "maxLength": 60,
                                        "pattern": SLUGGABLE_PATTERN,
                                    },
                                    "severity": {"type": "string", "enum": list(Severity.values)},
                                    "is_drill": {"type": "boolean"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json(_ref("Incident"), "The new incident."),
                    **IDEMPOTENT_RESPONSES,
                    **ERRORS,
                    **TOO_LARGE,
                },
            },
        },
        "/incidents/{id}": {
            "get": {
                "summary": "One incident with its signals, team, playbook and statements.",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": _json(_ref("Incident"), "The incident."),
                    "404": _json(_ref("Error"), "No such incident."),
                    **ERRORS,
                },
            }
        },
        "/incidents/{id}/acknowledge": _transition(
            "Acknowledge an open incident (stops escalation). Responders and admins.",
            "The incident, acknowledged.",
        ),
        "/incidents/{id}/dismiss": _transition(
            "Dismiss an open or acknowledged incident as a false alarm; kept, "
            "with its signals, as labelled feedback for the detector.",
            "The incident, dismissed.",
            body={
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "reason": {"type": "string", "maxLength": 2000, "pattern": NO_NUL}
                            },
                        }
                    }
                },
            },
            conflict="The incident is no longer active.",
        ),
        "/incidents/{id}/monitor": _transition(
            "Move an active incident to monitoring (the response is out). Responders and admins.",
            "The incident, monitoring.",
            conflict="The incident is resolved or dismissed.",
        ),
        "/incidents/{id}/resolve": _transition(
            "Resolve an active incident with a one-line summary (on the timeline; "
            "sets resolved_at). The incident lead on that incident, or an admin; 403 otherwise.",
            "The incident, resolved.",
            body=_text_body("summary", "One line, at most 300 characters.", max_length=300),
            bad="No summary, or longer than one line allows.",
            conflict="The incident is not active.",
        ),
        "/incidents/{id}/reopen": _transition(
            "Reopen a resolved or dismissed incident (clears resolved_at). "
            "The incident lead on that incident, or an admin; 403 otherwise.",
            "The incident, reopened.",
            body=_text_body("reason", "Why it is reopened."),
            bad="No reason given.",
            conflict="The incident is still active.",
        ),
    },
}


# What floors above add (the playbook's statements and team, from PlaybookConfig.ready),
# so this document never imports them: static parts, and hooks that fill in what the
# database decides (the publish endpoint's target names) or what the floor adds to a
# shared schema (the incident detail's next actions) each time it is served.
DOCUMENT_HOOKS: list[Callable[[dict[str, Any]], None]] = []


def openapi_extend(
    *,
    schemas: dict[str, Any],
    paths: dict[str, Any],
    hook: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    OPENAPI["components"]["schemas"].update(schemas)
    OPENAPI["paths"].update(paths)
    if hook is not None and hook not in DOCUMENT_HOOKS:
        DOCUMENT_HOOKS.append(hook)


def document() -> dict[str, Any]:
    """The document as served, with every hook applied to a copy."""
    doc = copy.deepcopy(OPENAPI)
    for hook in DOCUMENT_HOOKS:
        hook(doc)
    return doc

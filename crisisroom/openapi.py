"""The OpenAPI description served at /api/v1/openapi.json."""

from __future__ import annotations

import copy
from typing import Any

from crisisroom.choices import IncidentStatus, Severity
from crisisroom.validation import MAX_BIGINT, NO_NUL_PATTERN, NON_BLANK_PATTERN
from playbook import openapi as playbook_openapi

# A string the server takes as given: at least one non-space character, no NUL
# (what crisisroom.validation.text(required=True) accepts).
NON_BLANK = NON_BLANK_PATTERN
NO_NUL = NO_NUL_PATTERN
SENTIMENTS = ["negative", "neutral", "positive"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "The request is malformed; the message says how."),
    "401": _json(_ref("Error"), "No token or an invalid token."),
    "403": _json(_ref("Error"), "The token's user may not do this."),
    "405": _json(_ref("Error"), "This method is not allowed here."),
}
TOO_LARGE = {"413": _json(_ref("Error"), "The body is larger than the server accepts.")}

_ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Crisis Room API", "version": "1.0.0"},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
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
                    "resolved_at": {"type": ["string", "null"], "format": "date-time"},
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
                ],
                "responses": {"200": _json({"type": "object"}, "Mentions."), **ERRORS},
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
                                        "created if new.",
                                        "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$",
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
        "/incidents/{id}/acknowledge": {
            "post": {
                "summary": "Acknowledge an open incident (stops escalation). Responders and admins.",
                "parameters": [_ID_PARAM],
                "responses": {
                    "200": _json(_ref("Incident"), "The incident, acknowledged."),
                    "404": _json(_ref("Error"), "No such incident."),
                    **ERRORS,
                },
            }
        },
        "/incidents/{id}/dismiss": {
            "post": {
                "summary": "Dismiss an open or acknowledged incident as a false alarm; kept, "
                "with its signals, as labelled feedback for the detector.",
                "parameters": [_ID_PARAM],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "reason": {
                                        "type": "string",
                                        "maxLength": 2000,
                                        "pattern": NO_NUL,
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(_ref("Incident"), "The incident, dismissed."),
                    "404": _json(_ref("Error"), "No such incident."),
                    "409": _json(_ref("Error"), "The incident is no longer active."),
                    **ERRORS,
                    **TOO_LARGE,
                },
            }
        },
    },
}

# The playbook's statement and team endpoints.
OPENAPI["components"]["schemas"].update(playbook_openapi.SCHEMAS)
OPENAPI["paths"].update(playbook_openapi.PATHS)


def document() -> dict[str, Any]:
    """The document as served: the publish endpoint's target names are the active
    targets' (the server refuses any other name, so the schema must too)."""
    from playbook.models import PublishTarget

    doc = copy.deepcopy(OPENAPI)
    publish = doc["paths"]["/statements/{id}/publish"]["post"]["requestBody"]
    targets = publish["content"]["application/json"]["schema"]["properties"]["targets"]
    names = sorted(PublishTarget.objects.filter(active=True).values_list("name", flat=True))
    if names:
        targets["items"] = {"type": "string", "enum": names}
    else:
        targets["maxItems"] = 0
    return doc

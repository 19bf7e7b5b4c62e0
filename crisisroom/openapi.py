"""The OpenAPI description served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "The request is malformed; the message says how."),
    "401": _json(_ref("Error"), "No token or an invalid token."),
    "403": _json(_ref("Error"), "The token's user may not do this."),
}

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
                    "author_followers": {"type": "integer", "minimum": 0},
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
                            "positive": {"type": "integer", "minimum": 0},
                            "negative": {"type": "integer", "minimum": 0},
                            "neutral": {"type": "integer", "minimum": 0},
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
                    "status": {
                        "type": "string",
                        "enum": ["open", "acknowledged", "resolved", "dismissed"],
                    },
                    "severity": {"type": "string", "enum": ["low", "medium", "high", "critical"]},
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
                                    {"type": "array", "maxItems": 1000, "items": _ref("MentionIn")},
                                    {
                                        "type": "object",
                                        "properties": {
                                            "mentions": {
                                                "type": "array",
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
                    {"name": n, "in": "query", "schema": {"type": "string"}}
                    for n in ("brand", "since", "until", "sentiment")
                ]
                + [
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
                "parameters": [{"name": "status", "in": "query", "schema": {"type": "string"}}],
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
                                    "title": {"type": "string"},
                                    "brand": {"type": "string"},
                                    "severity": {"type": "string"},
                                    "is_drill": {"type": "boolean"},
                                },
                            }
                        }
                    },
                },
                "responses": {"201": _json(_ref("Incident"), "The new incident."), **ERRORS},
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
                                "properties": {"reason": {"type": "string"}},
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(_ref("Incident"), "The incident, dismissed."),
                    "404": _json(_ref("Error"), "No such incident."),
                    "409": _json(_ref("Error"), "The incident is no longer active."),
                    **ERRORS,
                },
            }
        },
    },
}


def openapi_extend(
    *,
    schemas: dict[str, Any],
    paths: dict[str, Any],
    incident_properties: dict[str, Any] | None = None,
) -> None:
    """A floor above adds its endpoints (the playbook's statements and team, from
    PlaybookConfig.ready), and the fields it adds to an incident's detail, so this
    document never imports it."""
    OPENAPI["components"]["schemas"].update(schemas)
    OPENAPI["paths"].update(paths)
    if incident_properties:
        OPENAPI["components"]["schemas"]["Incident"]["properties"].update(incident_properties)

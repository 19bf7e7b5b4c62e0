"""The OpenAPI description served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from crisisroom.choices import IncidentStatus


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


def _text_body(name: str, description: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": [name],
                    "properties": {name: {"type": "string", "description": description}},
                }
            }
        },
    }


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
                        "enum": IncidentStatus.values,
                    },
                    "severity": {"type": "string", "enum": ["low", "medium", "high", "critical"]},
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
                "parameters": [
                    {"name": n, "in": "query", "schema": {"type": "string"}}
                    for n in ("brand", "since", "until", "sentiment", "limit")
                ],
                "responses": {"200": _json({"type": "object"}, "Mentions."), **ERRORS},
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
        "/incidents/{id}/monitor": {
            "post": {
                "summary": "Move an active incident to monitoring (the response is out). "
                "Responders and admins.",
                "parameters": [_ID_PARAM],
                "responses": {
                    "200": _json(_ref("Incident"), "The incident, monitoring."),
                    "404": _json(_ref("Error"), "No such incident."),
                    "409": _json(_ref("Error"), "The incident is resolved or dismissed."),
                    **ERRORS,
                },
            }
        },
        "/incidents/{id}/resolve": {
            "post": {
                "summary": "Resolve an active incident with a one-line summary (on the timeline; "
                "sets resolved_at). The incident lead on that incident, or an admin; 403 otherwise.",
                "parameters": [_ID_PARAM],
                "requestBody": _text_body("summary", "One line, at most 300 characters."),
                "responses": {
                    **ERRORS,
                    "200": _json(_ref("Incident"), "The incident, resolved."),
                    "400": _json(_ref("Error"), "No summary, or longer than one line allows."),
                    "404": _json(_ref("Error"), "No such incident."),
                    "409": _json(_ref("Error"), "The incident is not active."),
                },
            }
        },
        "/incidents/{id}/reopen": {
            "post": {
                "summary": "Reopen a resolved or dismissed incident (clears resolved_at). "
                "The incident lead on that incident, or an admin; 403 otherwise.",
                "parameters": [_ID_PARAM],
                "requestBody": _text_body("reason", "Why it is reopened."),
                "responses": {
                    **ERRORS,
                    "200": _json(_ref("Incident"), "The incident, reopened."),
                    "400": _json(_ref("Error"), "No reason given."),
                    "404": _json(_ref("Error"), "No such incident."),
                    "409": _json(_ref("Error"), "The incident is still active."),
                },
            }
        },
    },
}


def openapi_extend(*, schemas: dict[str, Any], paths: dict[str, Any]) -> None:
    """A floor above adds its endpoints (the playbook's statements and team, from
    PlaybookConfig.ready), so this document never imports it."""
    OPENAPI["components"]["schemas"].update(schemas)
    OPENAPI["paths"].update(paths)

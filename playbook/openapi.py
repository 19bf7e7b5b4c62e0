"""The statement and team endpoints' part of /api/v1/openapi.json (merged by
crisisroom.openapi)."""

from __future__ import annotations

from typing import Any

from crisisroom.choices import CrisisRoleSlug
from playbook.choices import Channel


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


ROLE = {"type": "string", "enum": list(CrisisRoleSlug.values)}
CHANNELS = {"type": "array", "items": {"enum": list(Channel.values)}}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
ERR = {"$ref": "#/components/schemas/Error"}
RESPONSES = {
    "400": _json(ERR, "The body is malformed; the message says how."),
    "401": _json(ERR, "No token or an invalid token."),
    "403": _json(ERR, "The caller lacks the role (or is outside the incident's team)."),
    "404": _json(ERR, "No such incident or statement."),
}
CONFLICT = {"409": _json(ERR, "The statement's state does not allow this; the message says why.")}

SCHEMAS: dict[str, Any] = {
    "Statement": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "incident": {"type": "integer"},
            "title": {"type": "string"},
            "body": {"type": "string"},
            "state": {"type": "string", "enum": ["draft", "submitted", "approved", "published"]},
            "version": {"type": "integer"},
            "response_level": {"type": "string"},
            "channels": CHANNELS,
            "variants": {"type": "object", "additionalProperties": {"type": "string"}},
            "required_roles": {"type": "array", "items": ROLE},
            "missing_roles": {"type": "array", "items": ROLE},
            "approvals": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "role": ROLE,
                        "user": {"type": "string"},
                        "at": {"type": "string", "format": "date-time"},
                    },
                },
            },
            "last_rejection": {"type": ["object", "null"]},
            "published_at": {"type": ["string", "null"], "format": "date-time"},
            "publications": {"type": "array", "items": {"type": "object"}},
        },
    },
}

SCHEMAS["NextAction"] = {
    "type": "object",
    "description": (
        "One thing the viewer should do next on this incident, from the coach's rules "
        "(playbook/coach_rules.json): only actions the viewer's crisis role is asked "
        "for and their permissions allow."
    ),
    "properties": {
        "rule": {"type": "string", "description": "The rule's id, e.g. approve-statement."},
        "role": ROLE,
        "message": {"type": "string", "description": "In the token user's language."},
        "link": {"type": "string", "description": "Where the action is done (a path)."},
        "params": {"type": "object", "description": "The values the message was made of."},
    },
    "required": ["rule", "role", "message", "link", "params"],
}

# What the playbook adds to GET /incidents/{id} (the Incident schema's detail fields).
INCIDENT_PROPERTIES: dict[str, Any] = {
    "next_actions": {
        "type": "array",
        "items": _ref("NextAction"),
        "description": "The token user's next actions on this incident (empty without a crisis role on it).",
    },
}

_statement = _json(_ref("Statement"), "The statement after the transition.")

PATHS: dict[str, Any] = {
    "/incidents/{id}/members": {
        "post": {
            "summary": "Assign a roster member to a crisis role on the incident (and notify them).",
            "parameters": [ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["username", "crisis_role"],
                    "properties": {"username": {"type": "string"}, "crisis_role": ROLE},
                }
            ),
            "responses": {"201": _json({"type": "object"}, "The member."), **RESPONSES},
        }
    },
    "/incidents/{id}/statements": {
        "post": {
            "summary": "Draft a statement for the incident.",
            "parameters": [ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["body"],
                    "properties": {
                        "body": {"type": "string"},
                        "title": {"type": "string"},
                        "channels": CHANNELS,
                    },
                }
            ),
            "responses": {"201": _json(_ref("Statement"), "The new draft."), **RESPONSES},
        }
    },
    "/statements/{id}": {
        "get": {
            "summary": "A statement with its approval state.",
            "parameters": [ID],
            "responses": {"200": _json(_ref("Statement"), "The statement."), **RESPONSES},
        },
        "patch": {
            "summary": "Edit the text, title, channels or channel variants; resets approvals.",
            "parameters": [ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "properties": {
                        "body": {"type": "string"},
                        "title": {"type": "string"},
                        "channels": CHANNELS,
                        "variants": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                }
            ),
            "responses": {"200": _statement, **RESPONSES, **CONFLICT},
        },
    },
    "/statements/{id}/submit": {
        "post": {
            "summary": "Submit a draft for approval.",
            "parameters": [ID],
            "responses": {"200": _statement, **RESPONSES, **CONFLICT},
        }
    },
    "/statements/{id}/approve": {
        "post": {
            "summary": "Approve as a required crisis role held on the incident (never one's own draft).",
            "parameters": [ID],
            "requestBody": _body({"type": "object", "properties": {"role": ROLE}}, required=False),
            "responses": {"200": _statement, **RESPONSES, **CONFLICT},
        }
    },
    "/statements/{id}/reject": {
        "post": {
            "summary": "Return a statement to draft with a comment.",
            "parameters": [ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["comment"],
                    "properties": {"comment": {"type": "string"}},
                }
            ),
            "responses": {"200": _statement, **RESPONSES, **CONFLICT},
        }
    },
    "/statements/{id}/publish": {
        "post": {
            "summary": "Publish an approved statement to the active targets (or the named ones), "
            "or record where it was published by hand ({url}). Drills go to a sandbox.",
            "parameters": [ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "properties": {
                        "targets": {"type": "array", "items": {"type": "string"}},
                        "url": {"type": "string", "format": "uri"},
                    },
                },
                required=False,
            ),
            "responses": {
                "200": _statement,
                "502": _json(
                    _ref("Statement"), "Every target failed; the statement stays approved."
                ),
                **RESPONSES,
                **CONFLICT,
            },
        }
    },
    "/statements/{id}/review": {
        "get": {
            "summary": "The review helper's flags for a statement.",
            "parameters": [ID],
            "responses": {"200": _json({"type": "object"}, "Flags."), **RESPONSES},
        }
    },
}

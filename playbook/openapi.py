"""The statement and team endpoints' part of /api/v1/openapi.json (merged by
crisisroom.openapi)."""

from __future__ import annotations

import copy
from typing import Any

from crisisroom.choices import CrisisRoleSlug
from foundation.validation import NO_NUL_PATTERN, NON_BLANK_PATTERN
from playbook.models import Channel, PublishTarget


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


ROLE = {"type": "string", "enum": list(CrisisRoleSlug.values)}
# Channels are data an admin extends: the codes are filled in per request (channels_hook).
CHANNEL = {"$ref": "#/components/schemas/ChannelCode"}
CHANNELS = {"type": "array", "items": CHANNEL}
MAX_BODY = 20_000  # playbook.api.MAX_BODY
BODY = {"type": "string", "minLength": 1, "maxLength": MAX_BODY, "pattern": NON_BLANK_PATTERN}
TITLE = {"type": "string", "maxLength": 200, "pattern": NO_NUL_PATTERN}
VARIANTS = {
    "type": "object",
    "propertyNames": CHANNEL,
    "additionalProperties": {"type": "string", "maxLength": MAX_BODY, "pattern": NO_NUL_PATTERN},
}
# Filled in per request by crisisroom.openapi.document(): the active targets' names.
TARGET_NAMES: dict[str, Any] = {"type": "string"}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
ERR = {"$ref": "#/components/schemas/Error"}
RESPONSES = {
    "400": _json(ERR, "The body is malformed; the message says how."),
    "401": _json(ERR, "No token or an invalid token."),
    "403": _json(ERR, "The caller lacks the role (or is outside the incident's team)."),
    "404": _json(ERR, "No such incident or statement."),
    "405": _json(ERR, "This method is not allowed here."),
    "413": _json(ERR, "The body is larger than the server accepts."),
}
CONFLICT = {"409": _json(ERR, "The statement's state does not allow this; the message says why.")}

SCHEMAS: dict[str, Any] = {
    "ChannelCode": {"type": "string", "description": "A statement channel's code."},
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

SCHEMAS["TargetRow"] = {
    "type": "object",
    "description": (
        "One response target of the incident's response level, evaluated now "
        "(playbook/targets.py). A drill's targets run as fast as the drill; its `by` is "
        "in scenario seconds."
    ),
    "properties": {
        "target": {
            "type": "string",
            "enum": ["acknowledge", "holding_statement", "zh_hant_statement", "updates"],
        },
        "label": {"type": "string", "description": "In the token user's language."},
        "minutes": {"type": "integer", "description": "Within this many minutes."},
        "state": {"type": "string", "enum": ["met", "missed", "pending", "na"]},
        "met": {
            "type": ["boolean", "null"],
            "description": "null while pending or not applicable.",
        },
        "due": {"type": ["string", "null"], "format": "date-time"},
        "done_at": {"type": ["string", "null"], "format": "date-time"},
        "by": {
            "type": ["integer", "null"],
            "description": "Seconds late (missed), early (met) or left (pending).",
        },
        "missed_count": {"type": "integer", "description": "updates: intervals without one."},
    },
    "required": ["target", "label", "minutes", "state", "met", "due", "done_at", "by"],
}

# What the playbook adds to GET /incidents/{id} (the Incident schema's detail fields).
INCIDENT_PROPERTIES: dict[str, Any] = {
    "targets": {
        "type": "array",
        "items": _ref("TargetRow"),
        "description": "The response targets of the incident's response level: met, missed or pending.",
    },
    "next_actions": {
        "type": "array",
        "items": _ref("NextAction"),
        "description": "The token user's next actions on this incident (empty without a crisis role on it).",
    },
}

_statement = _json(_ref("Statement"), "The statement after the transition.")
# Defined in crisisroom/openapi.py's components: the same key returns the first answer.
IDEMPOTENCY_KEY = {"$ref": "#/components/parameters/IdempotencyKey"}
REUSED_KEY = {"422": _json(ERR, "This Idempotency-Key was used for a different request.")}

PATHS: dict[str, Any] = {
    "/incidents/{id}/members": {
        "post": {
            "summary": "Assign a roster member to a crisis role on the incident (and notify them).",
            "parameters": [ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["username", "crisis_role"],
                    "properties": {
                        "username": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 150,
                            "pattern": NON_BLANK_PATTERN,
                        },
                        "crisis_role": ROLE,
                    },
                }
            ),
            "responses": {"201": _json({"type": "object"}, "The member."), **RESPONSES},
        }
    },
    "/incidents/{id}/statements": {
        "post": {
            "summary": "Draft a statement for the incident.",
            "parameters": [ID, IDEMPOTENCY_KEY],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["body"],
                    "properties": {"body": BODY, "title": TITLE, "channels": CHANNELS},
                }
            ),
            "responses": {
                "201": _json(_ref("Statement"), "The new draft."),
                **RESPONSES,
                **REUSED_KEY,
            },
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
                        "body": BODY,
                        "title": TITLE,
                        "channels": CHANNELS,
                        "variants": VARIANTS,
                    },
                }
            ),
            "responses": {"200": _statement, **RESPONSES, **CONFLICT},
        },
    },
    "/statements/{id}/submit": {
        "post": {
            "summary": "Submit a draft for approval.",
            "parameters": [ID, IDEMPOTENCY_KEY],
            "responses": {"200": _statement, **RESPONSES, **REUSED_KEY, **CONFLICT},
        }
    },
    "/statements/{id}/approve": {
        "post": {
            "summary": "Approve as a required crisis role held on the incident (never one's own draft).",
            "parameters": [ID, IDEMPOTENCY_KEY],
            "requestBody": _body({"type": "object", "properties": {"role": ROLE}}, required=False),
            "responses": {"200": _statement, **RESPONSES, **REUSED_KEY, **CONFLICT},
        }
    },
    "/statements/{id}/reject": {
        "post": {
            "summary": "Return a statement to draft with a comment.",
            "parameters": [ID, IDEMPOTENCY_KEY],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["comment"],
                    "properties": {"comment": BODY},
                }
            ),
            "responses": {"200": _statement, **RESPONSES, **REUSED_KEY, **CONFLICT},
        }
    },
    "/statements/{id}/publish": {
        "post": {
            "summary": "Publish an approved statement to the active targets (or the named ones), "
            "or record where it was published by hand ({url}). Drills go to a sandbox.",
            "parameters": [ID, IDEMPOTENCY_KEY],
            "requestBody": _body(
                {
                    "type": "object",
                    "properties": {
                        "targets": {"type": "array", "items": TARGET_NAMES},
                        "url": {
                            "type": "string",
                            "format": "uri",
                            "maxLength": 500,
                            "pattern": "^https?://[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?([/?#]\\S*)?$",
                        },
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
                **REUSED_KEY,
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


POST_STATE = {"type": "string", "enum": ["queued", "held", "sent", "failed", "cancelled"]}
INCIDENT_REF = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
SCHEMAS["ScheduledPost"] = {
    "type": "object",
    "required": ["id", "channel", "body", "at", "state"],
    "properties": {
        "id": {"type": "integer"},
        "channel": {"type": ["string", "null"], "description": "The publishing target's name."},
        "body": {"type": "string"},
        "at": {"type": "string", "format": "date-time", "description": "When it is due (UTC)."},
        "state": POST_STATE,
        "attempts": {"type": "integer"},
        "error": {"type": "string", "description": "Why the last try failed (host only)."},
        "incident": {"type": ["integer", "null"]},
        "created_by": {"type": ["string", "null"]},
        "sent_at": {"type": ["string", "null"], "format": "date-time"},
        "url": {"type": "string", "description": "Where it was published."},
    },
}
SCHEMAS["OutboundState"] = {
    "type": "object",
    "required": ["paused"],
    "properties": {
        "paused": {
            "type": ["object", "null"],
            "description": "The active pause, or null while posts go out.",
            "properties": {
                "reason": {"type": "string"},
                "paused_at": {"type": "string", "format": "date-time"},
                "paused_by": {"type": ["string", "null"]},
                "incident": {"type": ["integer", "null"]},
            },
        }
    },
}
_outbound = _json(_ref("OutboundState"), "Whether posting is paused now.")
PAUSE_RULE = (
    " An admin, or the incident lead of the active incident given as `incident`; 403 otherwise."
    " Other tools hear of it through outgoing webhooks (`outbound.paused` / `outbound.resumed`,"
    " HMAC-signed: see the README)."
)
PATHS.update(
    {
        "/scheduled-posts": {
            "get": {
                "summary": "Scheduled posts, soonest first, and whether posting is paused.",
                "parameters": [
                    {"name": "state", "in": "query", "required": False, "schema": POST_STATE},
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "scheduled_posts": {
                                    "type": "array",
                                    "items": _ref("ScheduledPost"),
                                },
                                "count": {"type": "integer"},
                                "paused": {"type": ["object", "null"]},
                            },
                        },
                        "The posts.",
                    ),
                    **RESPONSES,
                },
            },
            "post": {
                "summary": "Queue a post for a publishing target at a time. The worker publishes it "
                "when due through the target's publisher; while posting is paused it is held, and "
                "it goes out after the pause is lifted. A time more than five minutes in the past, "
                "or a text longer than the target's network allows, is a 400.",
                "parameters": [IDEMPOTENCY_KEY],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["channel", "body", "at"],
                        "additionalProperties": False,
                        "properties": {
                            "channel": TARGET_NAMES,
                            "body": BODY,
                            "at": {
                                "type": "string",
                                "format": "date-time",
                                "description": "ISO 8601; without an offset it is UTC.",
                            },
                            "incident": INCIDENT_REF,
                        },
                    }
                ),
                "responses": {
                    "201": _json(_ref("ScheduledPost"), "The post, queued (or held)."),
                    **RESPONSES,
                    **REUSED_KEY,
                },
            },
        },
        "/scheduled-posts/{id}/cancel": {
            "post": {
                "summary": "Cancel a queued or held post.",
                "parameters": [ID, IDEMPOTENCY_KEY],
                "responses": {
                    "200": _json(_ref("ScheduledPost"), "The post, cancelled."),
                    "409": _json(ERR, "The post was already sent, failed or cancelled."),
                    **RESPONSES,
                    **REUSED_KEY,
                },
            }
        },
        "/outbound": {
            "get": {
                "summary": "Whether the organisation's posts are paused.",
                "responses": {"200": _outbound, **RESPONSES},
            }
        },
        "/outbound/pause": {
            "post": {
                "summary": "Pause every scheduled post of the organisation." + PAUSE_RULE,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["reason"],
                        "properties": {
                            "reason": {**BODY, "maxLength": 2000},
                            "incident": INCIDENT_REF,
                        },
                    }
                ),
                "responses": {
                    "200": _outbound,
                    "409": _json(ERR, "Posting is already paused."),
                    **RESPONSES,
                },
            }
        },
        "/outbound/resume": {
            "post": {
                "summary": "Lift the pause; held posts that are due go out." + PAUSE_RULE,
                "requestBody": _body(
                    {"type": "object", "properties": {"incident": INCIDENT_REF}}, required=False
                ),
                "responses": {
                    "200": _outbound,
                    "409": _json(ERR, "Posting is not paused."),
                    **RESPONSES,
                },
            }
        },
    }
)


def publish_targets_hook(doc: dict[str, Any]) -> None:
    """The publish endpoint's target names are the active targets' (the server
    refuses any other name, so the schema must too)."""
    publish = doc["paths"]["/statements/{id}/publish"]["post"]["requestBody"]
    targets = publish["content"]["application/json"]["schema"]["properties"]["targets"]
    names = sorted(PublishTarget.objects.filter(active=True).values_list("name", flat=True))
    if names:
        targets["items"] = {"type": "string", "enum": names}
    else:
        targets["maxItems"] = 0
    # A scheduled post's channel is one of the same names.
    post = doc["paths"]["/scheduled-posts"]["post"]["requestBody"]
    post["content"]["application/json"]["schema"]["properties"]["channel"] = (
        {"type": "string", "enum": names}
        if names
        else {"type": "string", "description": "No publishing target is set up yet."}
    )


def incident_properties_hook(doc: dict[str, Any]) -> None:
    """The fields the playbook adds to an incident's detail, in the shared Incident schema."""
    properties = doc["components"]["schemas"]["Incident"]["properties"]
    properties.update(copy.deepcopy(INCIDENT_PROPERTIES))


def channels_hook(doc: dict[str, Any]) -> None:
    """The channel codes the server accepts are the Channel table's (admins add
    channels), so the schema lists exactly those."""
    codes = list(Channel.objects.values_list("code", flat=True))
    doc["components"]["schemas"]["ChannelCode"]["enum"] = codes


def document_hook(doc: dict[str, Any]) -> None:
    """Everything the playbook fills in each time the document is served."""
    incident_properties_hook(doc)
    publish_targets_hook(doc)
    channels_hook(doc)

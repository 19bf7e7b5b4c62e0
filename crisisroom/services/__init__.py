"""Incident and war-room writes, one concern a module: users, timeline, signals,
incidents, alerts, war_room (live mention pushes), chat (and presence)."""

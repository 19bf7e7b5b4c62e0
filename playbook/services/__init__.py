"""Playbook writes, one concern a module: base (errors, live push), runs (steps and
checklists), team, assessment (and claims), statements (and approvals), publishing
(and the outbound pause), support (scripts, channel updates), review.

Every action appends to the incident's timeline (which broadcasts it) and pushes
its own live event so open war rooms update without a reload.
"""

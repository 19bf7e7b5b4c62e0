"""Playbook models (the seven steps, statements and approvals) arrive with the playbook issue."""

"""What monitoring announces to the floors above (incidents, war room, playbook).

Receivers connect in their app's ``AppConfig.ready``; monitoring never imports them.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the ingest transaction commits. Arguments: ``mention_ids`` (list[int],
# the mentions stored by the batch) and ``brand_ids`` (set[int], brands whose rollups
# changed). Receivers: the war-room push (crisisroom) and detection queueing (monitoring).
mentions_stored = Signal()

# Sent inside the detection transaction (under the brand's lock), once per signal that
# fired, so what a receiver writes commits or rolls back with the signal. Argument:
# ``detected`` (monitoring.models.Signal). Receiver: incidents (incident_take_signal).
signal_raised = Signal()

# Sent after a background export is recorded (on commit), and by the export sweep for
# an export nobody is writing. Argument: ``export_id`` (int). Receiver: the export
# worker's queue (monitoring.tasks). A message lost here is found by the sweep.
export_requested = Signal()

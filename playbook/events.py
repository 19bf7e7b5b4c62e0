"""What playbook services announce to the worker (Django signals, sent on commit;
``playbook/receivers.py`` queues the tasks, connected in ``PlaybookConfig.ready``)."""

from __future__ import annotations

from django.dispatch import Signal

# A member (``member_id``) joined an incident's team and has an email to hear it on.
member_assigned = Signal()
# A publication (``publication_id``) failed in a way another try may mend.
publication_retry_wanted = Signal()

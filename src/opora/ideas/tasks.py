"""Jobs of ideas: the voters' notice of a status change, a new suggestion's matches."""

from __future__ import annotations

from django_tasks import task

from opora.ideas import notices


@task()
def notify_voters_task(change_id: int) -> int:
    """Tell every voter of the idea its new status (once per change)."""
    return notices.notify_voters(change_id)


@task()
def match_suggestion_task(ticket_id: int) -> int:
    """Find the ideas a new suggestion is like (shown on its ticket page)."""
    from opora.ideas.actions import record_matches

    return record_matches(ticket_id)

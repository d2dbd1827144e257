"""Scheduled changes: what will run, when, for which ticket and by whom; what ran and its result.

Each line links to its job page, where Cancel and Run now are (the same role rules as the job:
`users.bulk.job_views`)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from portal.staff.access import Capability, require_capability
from portal.web.http import HtmxHttpRequest
from users.bulk.schedule_selectors import scheduled_changes, visible_kinds


@require_GET
@require_capability(Capability.VIEW)
def scheduled_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every scheduled change the person may see, of every customer in their scope."""
    visible = visible_kinds(request.user)
    context = {
        "upcoming": scheduled_changes(visible=visible, upcoming=True),
        "ran": scheduled_changes(visible=visible, upcoming=False),
        "may_see": bool(visible),
        "time_zone": timezone.get_default_timezone_name(),
    }
    return render(request, "users/scheduled.html", context)

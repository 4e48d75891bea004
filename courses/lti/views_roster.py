"""The teacher's roster page for a class that stands for an LMS course: the last sync's report,
and a button that syncs again (on a worker)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from courses import access, jobs
from courses.lti.models import LinkedClass
from courses.views.common import AuthenticatedHttpRequest


@login_required
@require_http_methods(["GET", "POST"])
def roster(request: AuthenticatedHttpRequest, cohort_id: int) -> HttpResponse:
    cohort = access.taught_cohort(request.user, cohort_id)
    link = LinkedClass.objects.filter(cohort=cohort).select_related("context").first()
    if link is None:
        raise Http404(_("This class was not made from an LMS course."))
    if request.method == "POST":
        jobs.send_after_commit(jobs.LTI_SYNC_ROSTER, link.pk)
        messages.info(request, _("The roster is being read from the LMS; this page shows the "
                                 "result when it is done."))
        return redirect("lti_roster", cohort_id=cohort.pk)
    return render(request, "lti/roster.html", {"cohort": cohort, "link": link,
                                               "report": link.roster_report})

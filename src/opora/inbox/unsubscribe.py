"""The unsubscribe link of the desk's notices (List-Unsubscribe, RFC 2369 and 8058).

The link is signed (outbound.unsubscribe_token) and names the person and the kind of
notice. Opening it shows what it turns off, with one button; a POST turns it off, and
mail providers' one-click unsubscribe (RFC 8058: a POST with
"List-Unsubscribe=One-Click", no cookie, no CSRF token) does the same.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from opora.accounts.models import User
from opora.inbox.actions import set_email_notifications
from opora.inbox.email.outbound import read_unsubscribe_token


@csrf_exempt  # RFC 8058: providers POST without any session; the signed token is the check
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = read_unsubscribe_token(token)
    person = User.objects.filter(pk=found[0], is_active=True).first() if found else None
    if person is None:
        return render(request, "inbox/unsubscribe.html", {"invalid": True}, status=404)
    done = False
    if request.method == "POST":
        set_email_notifications(person, enabled=False)
        done = True
    context = {"person": person, "done": done or not person.notify_by_email, "token": token}
    return render(request, "inbox/unsubscribe.html", context)

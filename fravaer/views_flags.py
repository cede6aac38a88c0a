"""Flags and the inbox: contact teachers', leaders' and administrators' screens."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fravaer.models import Notification


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.filter(user=request.user).select_related("flag")
    return render(request, "fravaer/inbox.html", {"notifications": notifications[:200]})

"""`manage.py demo_banner`: what `make run` prints before the server starts."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError

from fravaer import demo
from fravaer.models import StaffRole, TeachingAssignment, User

RULE = "=" * 78


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***; Celery allows `;`-separated failover."""
    out = []
    for part in url.split(";"):
        parts = urlsplit(part)
        userinfo, at, hostport = parts.netloc.rpartition("@")
        if at and ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            parts = parts._replace(netloc=f"{user}:***@{hostport}")
        out.append(urlunsplit(parts))
    return ";".join(out)


def describe_database(db: dict) -> str:
    engine = db["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"SQLite {db['NAME']}"
    vendor = "PostgreSQL" if "postgresql" in engine else engine.rsplit(".", 1)[-1]
    user = f"{db['USER']}@" if db.get("USER") else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"{vendor} {user}{db.get('HOST') or 'localhost'}{port}/{db['NAME']}"


def describe_celery() -> str:
    if not settings.CELERY_BROKER_URL:
        return (
            "in-process: oppgaver kjører i web-prosessen (ingen CELERY_BROKER_URL) "
            "/ tasks run in-process, no broker"
        )
    return f"broker {redact_url(settings.CELERY_BROKER_URL)} (worker + beat)"


def _details() -> dict[str, str]:
    """username → what the login covers (classes or schools), from the database."""
    users = User.objects.filter(username__in=demo.all_usernames())
    found = {u.pk: u.username for u in users.only("pk", "username")}
    parts: dict[str, list[str]] = defaultdict(list)
    assignments = TeachingAssignment.objects.filter(user_id__in=found).select_related("group")
    for a in assignments.order_by("group__grade", "group__name"):
        label = f"{a.subject} {a.group.name}" if a.subject else a.group.name
        parts[found[a.user_id]].append(label)
    roles = StaffRole.objects.filter(user_id__in=found).select_related("school", "municipality")
    for role in roles.order_by("school__name"):
        parts[found[role.user_id]].append(str(role.school or role.municipality))
    return {username: ", ".join(parts[username]) for username in found.values()}


class Command(BaseCommand):
    help = "Print the demo URL, logins, password, Celery mode and database."

    def handle(self, *args, **options):
        try:
            details = _details()
        except DatabaseError:  # not migrated yet
            details = {}
        width = max(len(login.username) for login in demo.DEMO_LOGINS)
        lines = [RULE, f"  Fravær kjører på / runs at  {demo.RUN_URL}", ""]
        logins = [login for login in demo.DEMO_LOGINS if login.username in details]
        if logins:
            lines.append(f"  Demo-innlogginger / demo logins ({demo.MUNICIPALITY_NAME}):")
            for featured in (True, False):
                if not featured:
                    lines.append("  Flere kontaktlærere / more contact teachers:")
                for login in logins:
                    if login.featured != featured:
                        continue
                    extra = f" ({details[login.username]})" if details[login.username] else ""
                    if login.username == demo.SUPERUSER:
                        extra += ": Django admin /admin/"
                    lines.append(f"    {login.username:<{width}} — {login.role_label}{extra}")
            lines += ["", f"  Passord for alle / password for all:  {demo.DEMO_PASSWORD}"]
        else:
            lines.append(
                "  Ingen demo-innlogginger: demodata finnes ikke (`manage.py seed_demo`). "
                "/ No demo logins: the demo data is not there."
            )
        lines += [
            "",
            f"  Celery:    {describe_celery()}",
            f"  Database:  {describe_database(settings.DATABASES['default'])}",
            RULE,
        ]
        self.stdout.write("\n".join(lines))

"""`manage.py ensure_superuser`: the first superuser, its random password printed once."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a superuser with a random password, printed once, unless one exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, **options):
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            self.stdout.write("A superuser exists already; none created.")
            return
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser(options["username"], email="", password=password)
        self.stdout.write(
            self.style.WARNING(
                f"Created superuser {options['username']!r} with password {password}\n"
                "It is shown only this once: note it, or set another with "
                f"'python manage.py changepassword {options['username']}'."
            )
        )

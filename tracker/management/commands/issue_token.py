"""`manage.py issue_token`: a user's API token, and read-only partner accounts."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from tracker import roles


class Command(BaseCommand):
    help = (
        "Print the API token of a user, issuing one if the user has none. "
        "Use --create for a partner account that only reads the API (no password, no admin)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--create",
            action="store_true",
            help="Create the user if it does not exist, as a partner (no password, not staff).",
        )
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Replace the user's token: the old one stops working at once.",
        )

    @transaction.atomic
    def handle(self, *args, username, create, rotate, **options):
        users = get_user_model()
        try:
            user = users.objects.get(**{users.USERNAME_FIELD: username})
        except users.DoesNotExist:
            if not create:
                raise CommandError(
                    f"There is no user {username!r}. Create it in the admin, or run this "
                    "command again with --create."
                ) from None
            user = users(**{users.USERNAME_FIELD: username})
            user.set_unusable_password()
            user.save()
            roles.assign(user, roles.PARTNERS)
            self.stderr.write(f"Created partner {username!r} (no password; it reads the API only).")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; its token would be refused.")
        if rotate:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
        if created:
            self.stderr.write(f"Issued a new token for {username!r}.")
        self.stdout.write(token.key)

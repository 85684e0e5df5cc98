"""`manage.py add_user ROLE USERNAME`: one command for each role (tracker/roles.py).

A reader, an editor or an administrator gets a password (typed twice, or read from the
first line of --password-file) and signs in to the web UI; a partner gets no password and
an API token, printed once.
"""

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction
from rest_framework.authtoken.models import Token

from tracker import roles

ROLES = {
    "reader": roles.READERS,
    "editor": roles.EDITORS,
    "administrator": roles.ADMINISTRATORS,
    "partner": roles.PARTNERS,
}


class Command(BaseCommand):
    help = (
        "Add a person with one role: reader (web UI and API, read only), editor (also edits "
        "records, citations and sources; deletes no organisation, agreement or source), "
        "administrator (everything) or partner (reads the API with a token, printed once)."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="reader, editor, administrator or partner")
        parser.add_argument("username")
        parser.add_argument("--email", default="", help="Their e-mail address (optional).")
        parser.add_argument(
            "--password-file",
            help="Read the password from the first line of this file instead of asking for "
            "it (readers, editors and administrators; partners have no password).",
        )

    def handle(self, *args, role, username, email, password_file, **options):
        if role not in ROLES:
            raise CommandError(f"Unknown role {role!r}: give one of {', '.join(ROLES)}.")
        users = get_user_model()
        user = users(username=username, email=email)
        self.check_username(users, user, username)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"--email: {email!r} is not an e-mail address.") from None
        if role == "partner":
            if password_file:
                raise CommandError(
                    "A partner has no password (it reads the API with a token): "
                    "leave out --password-file."
                )
            self.add_partner(user)
            return
        password = self.read_password(password_file)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("The password is refused: " + " ".join(error.messages)) from None
        user.set_password(password)
        with transaction.atomic():
            user.save()
            roles.assign(user, ROLES[role])
        self.stderr.write(
            f"Added {role} {username!r}; they sign in at /login/"
            + (" and may use the admin at /admin/." if user.is_staff else ".")
        )

    def check_username(self, users, user, username):
        try:
            user.clean_fields(exclude=["password", "email"])
        except ValidationError as error:
            problems = error.message_dict.get(users.USERNAME_FIELD)
            if problems:
                raise CommandError(f"username {username!r}: {' '.join(problems)}") from None
        if users.objects.filter(username=username).exists():
            raise CommandError(
                f"There is already a user {username!r}; change their groups in the admin."
            )

    def read_password(self, password_file):
        if password_file:
            try:
                with open(password_file, encoding="utf-8") as file:
                    password = file.readline().rstrip("\r\n")
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"--password-file: cannot read it ({error}).") from None
            if not password:
                raise CommandError(f"--password-file: its first line ({password_file}) is empty.")
            return password
        try:
            password = getpass.getpass("Password: ")
            again = getpass.getpass("Password (again): ")
        except EOFError:
            raise CommandError(
                "No password was typed: type it when asked, or give --password-file."
            ) from None
        if password != again:
            raise CommandError("The two passwords do not match; nothing was added.")
        return password

    @transaction.atomic
    def add_partner(self, user):
        user.set_unusable_password()
        user.save()
        roles.assign(user, roles.PARTNERS)
        token = Token.objects.create(user=user)
        self.stderr.write(
            f"Added partner {user.get_username()!r}. Its API token follows, shown only this "
            "once (send it as 'Authorization: Token <key>'; `manage.py issue_token --rotate` "
            "replaces it):"
        )
        self.stdout.write(token.key)

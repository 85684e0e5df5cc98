from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tracker.choices import Language
from tracker.ingest import DuplicateSource, SourceRefused, add_source


class Command(BaseCommand):
    help = (
        "Add a source from a saved web page (.html, .htm), a UTF-8 text file (.txt) or a web "
        "address, and print its slug. A source already in the tracker (same address, or the "
        "same or nearly the same text) is not added: its slug is printed and the command "
        "fails. Bad input is refused with the reason, and nothing is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "location", metavar="FILE_OR_URL", help="A file, or an http(s) address."
        )
        parser.add_argument("--title", default="", help="The title (default: the page's).")
        parser.add_argument(
            "--published-on",
            default="",
            help="YYYY-MM-DD, or YYYY-MM or YYYY when only that is known (default: the page's).",
        )
        parser.add_argument(
            "--language",
            default="",
            choices=Language.values,
            help="The text's language (default: guessed, fr, en or ar).",
        )

    def handle(self, *args, location, title, published_on, language, **options):
        given = {"title": title, "published_on": published_on, "language": language}
        if location.startswith(("http://", "https://")):
            given["url"] = location
        else:
            path = Path(location)
            if not path.is_file():
                raise CommandError(f"No such file: {location}")
            try:
                data = path.read_bytes()
            except OSError as error:
                raise CommandError(f"{location} cannot be read: {error.strerror}") from None
            given.update(file_name=path.name, file_data=data)
        try:
            source = add_source(**given)
        except SourceRefused as error:
            raise CommandError(
                f"Nothing was added. {describe(error.field)}: {error.message}"
            ) from None
        except DuplicateSource as duplicate:
            self.stdout.write(duplicate.source.slug)
            raise CommandError(
                f"Nothing was added: the tracker already has this source, "
                f"{duplicate.source.slug} (“{duplicate.source.title}”). {duplicate.reason}"
            ) from None
        except ValidationError as error:
            problems = "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
            )
            raise CommandError(f"Nothing was added. {problems}") from None
        self.stdout.write(source.slug)


def describe(field):
    return {
        "text": "The text",
        "file": "The file",
        "url": "The address",
        "published_on": "--published-on",
        "language": "--language",
    }.get(field, field)

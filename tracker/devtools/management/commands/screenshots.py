"""`manage.py screenshots --url URL --username NAME --password PASSWORD`: the README's
pictures, taken from a running tracker in a headless chromium.

For every language of settings.LANGUAGES, on a desktop and on a phone, it writes
docs/screenshots/<language>-<desktop|phone>-<page>.png of the dashboard, the agreements list
and the first agreement of that list. Each is one screenful (not the whole page), so that the
files stay small.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker.devtools.browser import CHROMIUM_FLAGS, SCREENS, find_chromium

OUTPUT = Path(settings.BASE_DIR) / "docs" / "screenshots"


class Command(BaseCommand):
    help = "Screenshots of the dashboard, agreements and an agreement, per language and screen."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", required=True, help="the running tracker, e.g. http://127.0.0.1:8000"
        )
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT}")

    def handle(self, *args, url, username, password, output, **options):
        executable = find_chromium()
        if executable is None:
            raise CommandError(
                "No chromium found: install Debian's chromium or set TRACKER_CHROMIUM."
            )
        from playwright.sync_api import sync_playwright

        url = url.rstrip("/")
        output.mkdir(parents=True, exist_ok=True)
        written = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_FLAGS
            )
            state = self.sign_in(browser, url, username, password)
            for language, _name in settings.LANGUAGES:
                for screen, options in SCREENS.items():
                    context = browser.new_context(locale=language, storage_state=state, **options)
                    page = context.new_page()
                    page.set_default_timeout(30_000)
                    written += self.shoot(page, url, output, f"{language}-{screen}")
                    context.close()
            browser.close()
        total = sum(path.stat().st_size for path in written)
        for path in written:
            self.stdout.write(f"{path} ({path.stat().st_size // 1024} KiB)")
        self.stdout.write(f"{len(written)} screenshots, {total / 1024:.0f} KiB in all.")

    def sign_in(self, browser, url, username, password):
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_load_state()
        if "/login/" in page.url:
            raise CommandError(f"{username} could not log in at {url}/login/.")
        state = context.storage_state()
        context.close()
        return state

    def shoot(self, page, url, output, prefix):
        paths = []

        def take(name):
            page.wait_for_load_state("networkidle")
            path = output / f"{prefix}-{name}.png"
            # One image pixel per CSS pixel: a phone's picture is 390 pixels wide, not 780.
            page.screenshot(path=str(path), scale="css")
            paths.append(path)

        page.goto(f"{url}/")
        take("dashboard")
        page.goto(f"{url}/agreements/")
        take("agreements")
        first = page.locator("main table tbody a[href^='/agreements/']").first
        if first.count() == 0:
            raise CommandError(f"No agreement is listed at {url}/agreements/ to show.")
        page.goto(f"{url}{first.get_attribute('href')}")
        take("agreement")
        return paths

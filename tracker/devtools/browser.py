"""A headless chromium for the browser tests and the README's screenshots: where to find it,
how to start it so that it reaches no other host, and the two screens pages are seen on."""

import os
import shutil
from pathlib import Path

# Without the background-networking flags chromium tries to reach the internet.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A common laptop's screen and a phone's.
SCREENS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


def find_chromium():
    """Debian's chromium (or the one TRACKER_CHROMIUM names); None when there is none."""
    for candidate in (
        os.environ.get("TRACKER_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None

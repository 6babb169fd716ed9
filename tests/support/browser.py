"""Debian's Chromium, headless, for the newsroom page's real-browser test (scripts/install-system-deps
installs it; nothing is downloaded at run time)."""

import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")


def _run(args: list[str], profile: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    assert CHROMIUM.exists(), "no /usr/bin/chromium: run scripts/install-system-deps (Debian's chromium)"
    # --no-sandbox: the tests may run as root, where Chromium's sandbox refuses to start.
    # --virtual-time-budget: the page's scripts (and the fetches they make) run before the DOM is taken.
    return subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}",
                           "--virtual-time-budget=8000", *args],
                          capture_output=True, text=True, timeout=timeout, check=True)


def dump_dom(url: str, profile: Path) -> str:
    """The DOM of ``url`` once its scripts ran, serialised."""
    return _run(["--dump-dom", url], profile).stdout


def screenshot(url: str, path: Path, profile: Path, size: str = "1400,1050") -> Path:
    _run([f"--window-size={size}", f"--screenshot={path}", url], profile)
    assert path.stat().st_size > 10_000, f"empty screenshot of {url}"
    return path

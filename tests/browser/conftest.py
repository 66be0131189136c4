"""Browser tests: Playwright (sync API) driving the system Chromium against pytest-django's
live_server. One browser per run of this package, a fresh context (cookies, JavaScript on or off)
per role.

* Chromium is /usr/bin/chromium or $CHROMIUM_PATH. When it (or Playwright) is missing the tests
  are skipped with the reason — unless CI_REQUIRE_BROWSER=1, which turns the skip into a failure.
* Full-page screenshots go to $SCREENSHOT_DIR (default artifacts/screenshots, gitignored).
* The `browser` marker is registered here, not in pyproject.toml.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1280, "height": 800}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives a real Chromium through Playwright (tests/browser)"
    )


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    return shutil.which(path)


def screenshot_dir() -> Path:
    return Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "artifacts" / "screenshots")


def browser_unavailable(reason: str):
    """Skip locally; fail in CI (CI_REQUIRE_BROWSER=1), where a missing browser is a bug."""
    if os.environ.get("CI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (CI_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


NO_CHROMIUM = "Chromium not found at /usr/bin/chromium or $CHROMIUM_PATH (apt-get install chromium)"


def pytest_runtest_setup(item):
    """Decide before any fixture runs (the live server and its database are slow to set up)."""
    if item.get_closest_marker("browser") and chromium_path() is None:
        browser_unavailable(NO_CHROMIUM)


@pytest.fixture(scope="package")
def browser():
    executable = chromium_path()
    if executable is None:
        browser_unavailable(NO_CHROMIUM)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    # Playwright's sync API keeps an asyncio loop running in this thread, and Django then refuses
    # ORM calls from it (SynchronousOnlyOperation). The test body and pytest-django's database
    # flush are plain synchronous code, so allow it — only while the browser runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
    except Exception as exc:
        playwright.stop()
        browser_unavailable(f"Chromium at {executable} did not start: {exc}")
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, live_server):
    """new_page(javascript=True) → a page in its own context (one per person) on the live
    server; relative URLs work (page.goto("/login/"))."""
    contexts = []

    def make(*, javascript: bool = True):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=VIEWPORT,
            java_script_enabled=javascript,
            locale="en-GB",
            timezone_id="Europe/Zurich",
        )
        context.set_default_timeout(10_000)
        # The site has no favicon; answering here spares the server a 404 page per navigation.
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def sign_in(live_server):
    """sign_in(page, user): skip the login form — a session made by Django's test client, set
    as a cookie in the page's context (the form itself is driven by support.log_in)."""

    def add_session(page, user) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return add_session


@pytest.fixture
def shot():
    """shot(page, "name") saves a full-page PNG to $SCREENSHOT_DIR/name.png."""
    directory = screenshot_dir()
    directory.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = directory / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    return take


@pytest.fixture
def axe():
    """axe(page) → the serious and critical axe-core violations on the page, as readable lines."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        browser_unavailable(
            "axe-playwright-python is not installed (pip install axe-playwright-python)"
        )
    checker = Axe()

    def run(page) -> list[str]:
        results = checker.run(page)
        problems = []
        for violation in results.response["violations"]:
            if violation.get("impact") not in ("serious", "critical"):
                continue
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:5]
            problems.append(
                f"{page.url}: {violation['impact']} {violation['id']}: {violation['help']} "
                f"→ {targets}"
            )
        return problems

    return run

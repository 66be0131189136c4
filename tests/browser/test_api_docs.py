"""The interactive API docs (/api/docs) in a real browser, under the site's own
Content-Security-Policy: Swagger UI loads from this site's static files, lists the operations,
and "Try it out" works with a bearer token (Authorize) and with the browser session (CSRF
header). Nothing the page does may be refused by the CSP or fetched from another origin."""

import os

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the dev extra installs it; CI must have it
    if os.environ.get("CI_REQUIRE_BROWSER") == "1":
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

from marketplace.accounts.services import api_token_create
from tests.browser.conftest import ROOT, VIEWPORT
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def docs_page(new_page, live_server):
    """docs_page() → (page, problems): /api/docs opened, with every CSP report, script error,
    failed request and request to another origin collected in `problems`."""

    def open_docs():
        page = new_page()
        problems = []

        def on_console(message):
            text = message.text
            if "Content Security Policy" in text or message.type == "error":
                problems.append(f"console {message.type}: {text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on(
            "request",
            lambda request: (
                None
                if request.url.startswith((live_server.url, "data:", "blob:"))
                else problems.append(f"request to another origin: {request.url}")
            ),
        )
        page.on(
            "requestfailed",
            lambda request: problems.append(f"failed: {request.url} {request.failure}"),
        )
        page.goto("/api/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Fieldfriends API")
        return page, problems

    return open_docs


def operation(page, method: str, path: str):
    """The summary bar of one operation, as Swagger UI shows it ("POST /api/jobs")."""
    return (
        page.locator(".opblock-summary")
        .filter(has=page.locator(".opblock-summary-method", has_text=method))
        .filter(has=page.locator(f'.opblock-summary-path[data-path="{path}"]'))
    )


def try_it_out(page, method: str, path: str):
    """Expand an operation, Try it out → Execute; returns the operation's block."""
    summary = operation(page, method, path)
    summary.click()
    block = page.locator(".opblock").filter(has=summary)
    block.get_by_role("button", name="Try it out").click()
    block.get_by_role("button", name="Execute").click()
    return block


def test_the_docs_list_the_operations_without_breaking_the_csp(docs_page):
    page, problems = docs_page()
    for method, path in [
        ("POST", "/api/jobs"),
        ("GET", "/api/jobs/{job_id}"),
        ("POST", "/api/auth/tokens"),
        ("GET", "/api/auth/me"),
    ]:
        expect(operation(page, method, path)).to_be_visible()
    # Grouped per app, each group with its description.
    jobs = page.locator(".opblock-tag-section").filter(
        has=page.locator('.opblock-tag[data-tag="jobs"]')
    )
    expect(jobs.locator(".opblock-tag")).to_contain_text("Posting a request")
    # The auth schemes are described in the page (the API description).
    expect(page.locator(".swagger-ui .info")).to_contain_text("POST /api/auth/tokens")
    assert problems == []


def test_try_it_out_with_a_bearer_token(docs_page, shot):
    user = UserFactory(email="docs-reader@example.com")
    _, raw = api_token_create(user=user, name="swagger")
    page, problems = docs_page()

    page.locator(".swagger-ui .auth-wrapper").get_by_role("button", name="Authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    scheme = dialog.locator(".auth-container").filter(has_text="TokenAuth")
    scheme.locator("input").fill(raw)
    scheme.get_by_role("button", name="Apply credentials").click()  # its "Authorize" button
    expect(scheme.locator("button", has_text="Logout")).to_be_visible()
    scheme.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    block = try_it_out(page, "GET", "/api/auth/me")
    live = block.locator(".live-responses-table")
    expect(live.locator("tbody .response-col_status")).to_have_text("200")
    expect(live.locator("tbody .response-col_description")).to_contain_text(
        "docs-reader@example.com"
    )
    # Sent as a bearer token (the curl line Swagger shows), not through a session.
    expect(block.locator(".curl-command")).to_contain_text(f"Authorization: Bearer {raw}")
    assert problems == []

    shot(page, "api-docs")
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        # For the README: the top of the page down to the executed call's response.
        box = live.bounding_box()
        bottom = page.evaluate("window.scrollY") + box["y"] + box["height"] + 16
        page.screenshot(
            path=str(ROOT / "docs" / "screenshots" / "api-docs.png"),
            full_page=True,
            clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": bottom},
            animations="disabled",
        )


def test_try_it_out_with_the_session_sends_the_csrf_header(docs_page, sign_in):
    """Logged in on the site, no token: an unsafe call passes the CSRF check because the page
    sends its CSRF token in X-CSRFToken."""
    user = UserFactory(email="session-reader@example.com")
    page, problems = docs_page()
    sign_in(page, user)
    page.reload()
    expect(operation(page, "POST", "/api/notifications/read-all")).to_be_visible()

    block = try_it_out(page, "POST", "/api/notifications/read-all")
    live = block.locator(".live-responses-table")
    expect(live.locator("tbody .response-col_status")).to_have_text("200")
    expect(live.locator("tbody .response-col_description")).to_contain_text('"unread_count": 0')
    assert problems == []

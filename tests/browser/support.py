"""Small helpers for the browser tests: log in, find things as a person would, keyboard focus."""

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password
ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"  # resolved by the offline gazetteer (Zürich)

# What keyboard users must be able to see: the element with focus has a real outline.
FOCUS_STYLE = r"""() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(),
    // Form fields by their name, buttons and links by their text.
    name: /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName)
      ? el.getAttribute("name") || el.id
      : (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 60) || el.id,
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
    // Tab also stops on the calendar button inside a date/time input: the browser draws that
    // focus ring itself, and the input then does not match :focus.
    nativePicker: el.tagName === "INPUT" && /date|time/.test(el.type) && !el.matches(":focus"),
    visible: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
      && box.left < window.innerWidth && box.top < window.innerHeight,
  };
}"""


def log_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"Logged in as {email}").is_visible(), page.url


def heading(page, level: int = 1) -> str:
    return page.get_by_role("heading", level=level).first.inner_text().strip()


def focused(page) -> dict | None:
    return page.evaluate(FOCUS_STYLE)


def assert_focus_visible(page, stops=()) -> dict:
    info = focused(page)
    assert info is not None, f"nothing has keyboard focus (after {list(stops)})"
    assert info["visible"], f"the focused element is off screen: {info}"
    if info["nativePicker"]:
        return info
    assert info["outlineStyle"] != "none" and info["outlineWidth"] >= 2, (
        f"the focused element has no visible focus outline: {info}"
    )
    return info


def tab_to(page, name: str, *, limit: int = 40) -> dict:
    """Press Tab until the element whose name/id/text is `name` has focus, checking on every
    stop that focus is visible. Returns what has focus."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = assert_focus_visible(page, stops)
        if info["name"] == name:
            return info
        stops.append(info["name"])
    raise AssertionError(f"Tab never reached {name!r}: {stops}")

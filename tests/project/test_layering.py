"""Every import arrow between apps points down (docs/architecture.md).

Reads the imports of marketplace/ with `ast` (module level and inside functions alike) and fails
on an import from a lower room into a higher one, or between two rooms of the same level,
except through the interfaces named in INTERFACES. Migrations are left out: they are generated.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "marketplace"

# Lowest first. Rooms on one line are siblings: they may not import each other.
LEVELS = [
    ["core"],
    ["security"],
    ["accounts"],
    ["pricing"],
    ["helpers"],
    ["jobs"],
    ["notifications", "messaging", "photos"],
    ["payments"],
    ["supply"],
    ["economics", "privacy"],
    ["seed", "web"],
]
LEVEL = {room: n for n, rooms in enumerate(LEVELS) for room in rooms}
PROJECT = len(LEVELS)  # marketplace/*.py: settings, urls, api, periodic, wsgi

# The only ways up: a lower room tells a higher one what happened through its interface.
INTERFACES = {
    "marketplace.payments.booking": {"jobs", "helpers"},
    "marketplace.notifications.messages": {"helpers", "jobs", "payments"},
}


def room_of(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return parts[0] if len(parts) > 1 else "(project)"


def imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []


def upward_imports() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        src = room_of(path)
        if src == "(project)":  # the project's wiring may import anything
            continue
        src_level = PROJECT if src == "(project)" else LEVEL[src]
        for line, module, names in imports(path):
            parts = module.split(".")
            if parts[0] != "marketplace" or len(parts) < 2 or parts[1] == src:
                continue
            dst = parts[1]
            dst_level = LEVEL.get(dst, PROJECT)  # marketplace.settings, .api, ...: the project
            if dst_level < src_level:
                continue
            targets = [module, *names]
            if any(src in INTERFACES.get(t, ()) for t in targets):
                continue
            found.append(f"{path.relative_to(ROOT.parent)}:{line}: {src} -> {module}")
    return found


def test_every_room_is_placed():
    rooms = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert rooms - set(LEVEL) == set(), "add the new app to LEVELS (docs/architecture.md)"


def test_imports_between_apps_point_down():
    assert upward_imports() == []


def test_core_imports_no_other_app():
    offenders = [line for line in upward_imports() if " core -> " in line]
    for path in (ROOT / "core").rglob("*.py"):
        for line, module, _ in imports(path):
            if module.startswith("marketplace.") and not module.startswith("marketplace.core"):
                offenders.append(f"{path}:{line}: {module}")
    assert offenders == []


def test_nothing_outside_payments_reads_the_payments_provider_setting():
    offenders = [
        str(p.relative_to(ROOT.parent))
        for p in ROOT.rglob("*.py")
        if "PAYMENTS_PROVIDER" in p.read_text()
        and room_of(p) not in {"payments", "(project)"}
        and "migrations" not in p.parts
    ]
    # seed_pilot names the setting in its error message only; it asks booking.card_payments().
    assert offenders == ["marketplace/seed/pilot.py"]
    assert "settings.PAYMENTS_PROVIDER" not in (ROOT / "seed" / "pilot.py").read_text()

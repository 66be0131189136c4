"""An account has one role (README, "Roles"). A customer may become a helper, but not while
something of theirs is still going on as a customer: an open request, say. The apps that keep
such things register a check here in their AppConfig.ready() (jobs does, for open requests);
accounts sits below them and never imports them, and whoever changes a role (helpers, on
applying) asks `customer_holds` without knowing who answers."""

from collections.abc import Callable
from dataclasses import dataclass

from marketplace.accounts.models import User


@dataclass(frozen=True)
class Hold:
    """Why this customer may not leave the customer role yet."""

    code: str  # the error code callers answer with, e.g. "open_requests"
    count: int  # how many things hold them (shown on the page)
    message: str


_checks: list[Callable[[User], Hold | None]] = []


def register_customer_hold(check: Callable[[User], Hold | None]) -> None:
    """Add a check; registering the same one twice keeps one."""
    if check not in _checks:
        _checks.append(check)


def customer_holds(*, user: User) -> list[Hold]:
    """Everything that keeps `user` a customer for now; empty when they may change role."""
    return [hold for check in _checks if (hold := check(user)) is not None]

"""What-if (DESIGN §7): change the helper fee, the commission, the professional price or the
fixed cost, and see the projected demand for helpers and the break-even.

**Choice model.** A customer who is quoted helper price *h* against a professional list price
*p* chooses the helper with probability

    P = 1 / (1 + exp(−(a + b·ln(h / p) + c_free·[professional installation is free])))

The ratio always uses the list price (the technician's price before any free-installation
offer); when installation is free for the customer, the intercept shifts by ``c_free``.

**Fit.** Maximum likelihood over the aggregated choice points (``metrics.choice_points``: one
row per quoted price pair, k of n chose the helper; binomial log-likelihood, the same as
summing each quote's Bernoulli term), by Newton–Raphson (IRLS) in pure Python, with step
halving so the likelihood never decreases. A parameter the data cannot identify is held at
its prior value and enters as an offset: ``b`` when every quote had the same ratio, ``c_free``
when no quote (or every quote) had free installation (with only free quotes the intercept
absorbs it). When the fit does not converge (e.g. everyone chose the helper: the estimate runs
off to infinity) the prior is used and ``source`` says why. Fit quality: McFadden's pseudo-R²
= 1 − LL(model) ÷ LL(intercept only); None when the intercept-only log-likelihood is 0 (all
chose the same) or there is no data. A prior is scored on the data it stands in for, so its
pseudo-R² can be negative (it explains them worse than the overall share would).

**Prior** (fewer than :data:`MIN_OBSERVATIONS` quotes): a = 1.5, b = −2.5, c_free = −2.0.
People who post a request on a peer-help platform came for a helper, so at price parity most
still pick one (a = 1.5: 82 %). b = −2.5 makes the share price-sensitive but not knife-edge:
doubling the ratio divides the odds by 2^2.5 ≈ 5.7. A free professional visit divides the odds
by e² ≈ 7.4 (c_free = −2). With the seed prices this gives about 98 % for Switzerland (CHF 60
against 220) and 86 % for a Polish router set-up against a free installation (60 zł against a
150 zł list price) — placeholders until the pilot has 30 quotes, labelled as such.

**Projection.** requests per month = requests posted in [start, end) ÷ months (30.44 days);
helper share = the model at the new ratio; helper jobs per month = requests × share ×
completion factor (confirmed ÷ helper requests in the window; 1 without helper requests);
fee per job = helper fee × commission rounded half up; expected fee refunds per job = fee ×
(fee refunds ÷ fees in the window), rounded half up; processing per job = helper fee ×
``PAYMENT_PROCESSING_BPS`` rounded half up + ``PAYMENT_PROCESSING_FIXED``; margin per job =
fee − refunds − processing; net revenue per month = helper jobs × (fee − refunds), rounded;
break-even = ⌈fixed cost ÷ margin⌉ (None when margin ≤ 0, said in the note).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext, gettext_noop, ngettext

from marketplace.core.errors import ValidationFailed
from marketplace.core.money import share_half_up
from marketplace.economics.metrics import ChoicePoint, break_even, choice_points, metrics
from marketplace.economics.scope import Scope
from marketplace.jobs.models import JobRequest
from marketplace.pricing.models import Market, PriceBookEntry, ServiceCategory
from marketplace.pricing.services import professional_list_price

MIN_OBSERVATIONS = 30
# Why a prior stands in for a fit; ``ChoiceModel.source`` keeps the English (it is data, e.g. in
# the API), ``source_reason`` words it in the active language.
NOT_CONVERGED = gettext_noop("the fit did not converge: the data do not pin it down")
_FEWER = re.compile(r"^fewer than (\d+) observations$")
PRIOR_A, PRIOR_B, PRIOR_C_FREE = 1.5, -2.5, -2.0
MAX_ITERATIONS = 100
TOLERANCE = 1e-9
# |parameter| beyond this: the likelihood has no finite maximum (separation), not a fit.
MAX_ABS_PARAMETER = 25.0


@dataclass(frozen=True)
class ChoiceModel:
    a: float
    b: float
    c_free: float
    n: int  # observations (quotes) used
    log_likelihood: float
    pseudo_r2: float | None  # McFadden
    source: str  # "fitted" or "prior (…why…)"
    # Added to the shared interface:
    points: int = 0  # distinct quoted price pairs
    iterations: int = 0
    held_at_prior: tuple[str, ...] = ()  # parameters the data could not identify

    def share(self, price_ratio: float, professional_install_free: bool = False) -> float:
        """Probability that a customer quoted this ratio chooses the helper."""
        if price_ratio <= 0:
            raise ValueError("the price ratio must be positive")
        eta = self.a + self.b * math.log(price_ratio)
        if professional_install_free:
            eta += self.c_free
        return _sigmoid(eta)


@dataclass(frozen=True)
class WhatIf:
    helper_fee: int  # minor units, what the customer pays for a helper
    commission_bps: int
    professional_price: int  # the technician's list price (before any free installation)
    fixed_cost_per_month: int
    professional_install_free: bool


@dataclass(frozen=True)
class Projection:
    requests_per_month: float
    helper_share: float
    helper_jobs_per_month: float
    net_revenue_per_month: int
    margin_per_job: int | None
    break_even_jobs_per_month: int | None
    break_even_note: str
    model: ChoiceModel
    # Added to the shared interface:
    whatif: WhatIf | None = None
    price_ratio: float = 0.0
    fee_per_job: int = 0
    fee_refunds_per_job: int = 0
    processing_per_job: int = 0
    completion_factor: float = 1.0
    profit_per_month: int = 0  # helper jobs × margin − fixed cost


# --- Fitting -----------------------------------------------------------------------------------


def _sigmoid(eta: float) -> float:
    if eta >= 0:
        return 1.0 / (1.0 + math.exp(-eta))
    z = math.exp(eta)
    return z / (1.0 + z)


def _log1p_exp(eta: float) -> float:
    return eta + math.log1p(math.exp(-eta)) if eta > 0 else math.log1p(math.exp(eta))


def _rows(points: list[ChoicePoint]) -> list[tuple[float, float, int, int]]:
    """(ln ratio, free 0/1, chose helper, quotes) per point with quotes."""
    return [
        (
            math.log(p.price_ratio),
            1.0 if p.professional_install_free else 0.0,
            p.chose_helper,
            p.quotes,
        )
        for p in points
        if p.quotes > 0 and p.price_ratio > 0
    ]


def _log_likelihood(rows, a: float, b: float, c: float) -> float:
    total = 0.0
    for x, free, k, n in rows:
        eta = a + b * x + c * free
        total += k * eta - n * _log1p_exp(eta)
    return total


def _null_log_likelihood(rows) -> float:
    k = sum(r[2] for r in rows)
    n = sum(r[3] for r in rows)
    if n == 0 or k in (0, n):
        return 0.0
    p = k / n
    return k * math.log(p) + (n - k) * math.log(1 - p)


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float] | None:
    """Gaussian elimination with partial pivoting; None when (numerically) singular."""
    size = len(vector)
    m = [[*row, v] for row, v in zip(matrix, vector, strict=True)]
    scale = max((abs(v) for row in matrix for v in row), default=0.0) or 1.0
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) <= 1e-12 * scale:
            return None
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, size):
            factor = m[r][col] / m[col][col]
            for c in range(col, size + 1):
                m[r][c] -= factor * m[col][c]
    result = [0.0] * size
    for r in range(size - 1, -1, -1):
        result[r] = (m[r][size] - sum(m[r][c] * result[c] for c in range(r + 1, size))) / m[r][r]
    return result


def _newton(rows, free: list[str], params: dict[str, float]) -> tuple[dict, int, bool]:
    """Maximise the log-likelihood over the parameters named in `free` (the others fixed)."""
    design = {"a": lambda x, f: 1.0, "b": lambda x, f: x, "c_free": lambda x, f: f}
    current = _log_likelihood(rows, params["a"], params["b"], params["c_free"])
    for iteration in range(1, MAX_ITERATIONS + 1):
        gradient = [0.0] * len(free)
        hessian = [[0.0] * len(free) for _ in free]
        for x, f, k, n in rows:
            p = _sigmoid(params["a"] + params["b"] * x + params["c_free"] * f)
            xs = [design[name](x, f) for name in free]
            w = n * p * (1 - p)
            for i, xi in enumerate(xs):
                gradient[i] += (k - n * p) * xi
                for j, xj in enumerate(xs):
                    hessian[i][j] += w * xi * xj
        step = _solve(hessian, gradient)
        if step is None:
            return params, iteration, False
        factor = 1.0
        while True:
            trial = dict(params)
            for name, s in zip(free, step, strict=True):
                trial[name] += factor * s
            value = _log_likelihood(rows, trial["a"], trial["b"], trial["c_free"])
            if value >= current - 1e-12 or factor < 1e-6:
                break
            factor /= 2
        moved = max(abs(factor * s) for s in step)
        params, current = trial, value
        if any(abs(params[name]) > MAX_ABS_PARAMETER for name in free):
            return params, iteration, False
        if moved < TOLERANCE:
            return params, iteration, True
    return params, MAX_ITERATIONS, False


def _prior(rows, n: int, points: int, why: str) -> ChoiceModel:
    ll = _log_likelihood(rows, PRIOR_A, PRIOR_B, PRIOR_C_FREE)
    null = _null_log_likelihood(rows)
    return ChoiceModel(
        a=PRIOR_A,
        b=PRIOR_B,
        c_free=PRIOR_C_FREE,
        n=n,
        log_likelihood=ll,
        pseudo_r2=(1 - ll / null) if null else None,
        source=f"prior ({why})",
        points=points,
        held_at_prior=("a", "b", "c_free"),
    )


def source_reason(source: str) -> str:
    """Why a prior is used (from ``ChoiceModel.source``), in the active language."""
    why = source.removeprefix("prior ").strip("()")
    fewer = _FEWER.match(why)
    if fewer:
        count = int(fewer.group(1))
        return ngettext(
            "fewer than %(count)s observation", "fewer than %(count)s observations", count
        ) % {"count": count}
    return gettext(why) if why == NOT_CONVERGED else why


def source_text(source: str) -> str:
    """``ChoiceModel.source`` in words: "fitted", or "prior (why)", in the active language."""
    if source == "fitted":
        return gettext("fitted")
    return gettext("prior (%(why)s)") % {"why": source_reason(source)}


def fit_points(
    points: list[ChoicePoint], *, min_observations: int = MIN_OBSERVATIONS
) -> ChoiceModel:
    """The maximum-likelihood model for these choice points (see the module docstring)."""
    rows = _rows(points)
    n = sum(r[3] for r in rows)
    if n < min_observations:
        return _prior(rows, n, len(rows), f"fewer than {min_observations} observations")
    free_flags = {r[1] for r in rows}
    free = ["a"]
    if len({round(r[0], 12) for r in rows}) >= 2:
        free.append("b")
    if free_flags == {0.0, 1.0}:
        free.append("c_free")
    params = {"a": PRIOR_A, "b": PRIOR_B, "c_free": PRIOR_C_FREE}
    params, iterations, converged = _newton(rows, free, params)
    if not converged:
        return _prior(rows, n, len(rows), NOT_CONVERGED)
    ll = _log_likelihood(rows, params["a"], params["b"], params["c_free"])
    null = _null_log_likelihood(rows)
    return ChoiceModel(
        a=params["a"],
        b=params["b"],
        c_free=params["c_free"],
        n=n,
        log_likelihood=ll,
        pseudo_r2=(1 - ll / null) if null else None,
        source="fitted",
        points=len(rows),
        iterations=iterations,
        held_at_prior=tuple(name for name in ("a", "b", "c_free") if name not in free),
    )


def fit_choice_model(market: Market, start: datetime, end: datetime) -> ChoiceModel:
    """Fit on every quote of the market posted in [start, end) (all categories: the ratio
    carries the price differences between them, and the pilot needs every observation)."""
    return fit_points(choice_points(Scope(market=market, start=start, end=end)))


# --- Projecting --------------------------------------------------------------------------------


def current_whatif(
    market: Market, category: ServiceCategory | None, *, start: datetime, end: datetime
) -> WhatIf:
    """Today's values, the starting point of a what-if. With a category: its price-book entry.
    Without: the mean quote of the requests posted in [start, end) (rounded half up), or of the
    market's price book when there were none; free installation when most quotes had it."""
    base = {
        "commission_bps": market.commission_bps,
        "fixed_cost_per_month": market.fixed_cost_per_month,
    }
    if category is not None:
        entry = PriceBookEntry.objects.filter(market=market, category=category).first()
        if entry is None:
            raise ValidationFailed(
                gettext("%(service)s is not offered in %(market)s")
                % {"service": category.localized_name(), "market": market.localized_name()}
            )
        return WhatIf(
            helper_fee=entry.helper_fee,
            professional_price=professional_list_price(entry),
            professional_install_free=entry.pro_install_free,
            **base,
        )
    quotes = JobRequest.objects.filter(
        market=market, created_at__gte=start, created_at__lt=end
    ).aggregate(
        n=Count("id"),
        price=Sum("price"),
        list_price=Sum("professional_list_price"),
        free=Count("id", filter=Q(professional_install_free=True)),
    )
    if quotes["n"] and quotes["list_price"]:
        n = quotes["n"]
        return WhatIf(
            helper_fee=share_half_up(quotes["price"], 1, n),
            professional_price=share_half_up(quotes["list_price"], 1, n),
            professional_install_free=2 * quotes["free"] > n,
            **base,
        )
    entries = list(PriceBookEntry.objects.filter(market=market))
    if not entries:
        raise ValidationFailed(
            gettext("%(market)s has no prices yet") % {"market": market.localized_name()}
        )
    n = len(entries)
    return WhatIf(
        helper_fee=share_half_up(sum(e.helper_fee for e in entries), 1, n),
        professional_price=share_half_up(sum(professional_list_price(e) for e in entries), 1, n),
        professional_install_free=2 * sum(e.pro_install_free for e in entries) > n,
        **base,
    )


def validate(whatif: WhatIf) -> None:
    if whatif.helper_fee <= 0:
        raise ValidationFailed("helper_fee must be positive")
    if not 0 <= whatif.commission_bps <= 10_000:
        raise ValidationFailed("commission_bps must be between 0 and 10000")
    if whatif.professional_price <= 0:
        raise ValidationFailed("professional_price (the list price) must be positive")
    if whatif.fixed_cost_per_month < 0:
        raise ValidationFailed("fixed_cost_per_month must not be negative")


def project(
    market: Market,
    category: ServiceCategory | None,
    whatif: WhatIf,
    *,
    start: datetime,
    end: datetime,
    model: ChoiceModel | None = None,
) -> Projection:
    """Projected helper demand and economics per month at the what-if's prices, from the
    requests and outcomes observed in [start, end) (see the module docstring)."""
    validate(whatif)
    model = model or fit_choice_model(market, start, end)
    observed = metrics(Scope(market=market, start=start, end=end, category=category))
    requests = observed.posted / observed.months
    ratio = whatif.helper_fee / whatif.professional_price
    share = model.share(ratio, whatif.professional_install_free)
    completion = observed.confirmed / observed.helper_requests if observed.helper_requests else 1.0
    jobs = requests * share * completion
    fee = share_half_up(whatif.helper_fee, whatif.commission_bps, 10_000)
    refunds = share_half_up(fee, observed.fee_refunds, observed.fees) if observed.fees else 0
    processing = (
        share_half_up(whatif.helper_fee, settings.PAYMENT_PROCESSING_BPS, 10_000)
        + settings.PAYMENT_PROCESSING_FIXED
    )
    margin = fee - refunds - processing
    needed, note = break_even(fixed_cost=whatif.fixed_cost_per_month, contribution=margin, jobs=1)
    if needed is not None:
        note = gettext("%(note)s; the projection gives %(jobs)s") % {
            "note": note,
            "jobs": f"{jobs:.1f}",
        }
    return Projection(
        requests_per_month=requests,
        helper_share=share,
        helper_jobs_per_month=jobs,
        net_revenue_per_month=round(jobs * (fee - refunds)),
        margin_per_job=margin,
        break_even_jobs_per_month=needed,
        break_even_note=note,
        model=model,
        whatif=whatif,
        price_ratio=ratio,
        fee_per_job=fee,
        fee_refunds_per_job=refunds,
        processing_per_job=processing,
        completion_factor=completion,
        profit_per_month=round(jobs * margin) - whatif.fixed_cost_per_month,
    )


def with_changes(base: WhatIf, **changes) -> WhatIf:
    """`base` with the given fields replaced (None values ignored): the API's partial body."""
    return replace(base, **{k: v for k, v in changes.items() if v is not None})

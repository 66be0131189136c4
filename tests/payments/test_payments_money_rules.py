"""The money rules of payments as properties: fee and payout shares of refunds and cancellation
fees never go negative, never exceed what was captured, and add up exactly."""

from hypothesis import given
from hypothesis import strategies as st

from marketplace.core.money import share_half_up
from marketplace.payments.services import refunded_fee_total


@st.composite
def capture_and_refunds(draw):
    captured = draw(st.integers(min_value=1, max_value=2_000_000))
    fee = draw(st.integers(min_value=0, max_value=captured))
    refunds, left = [], captured
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        if left == 0:
            break
        amount = draw(st.integers(min_value=1, max_value=left))
        refunds.append(amount)
        left -= amount
    return captured, fee, refunds


@given(capture_and_refunds())
def test_partial_refunds_split_fee_and_payout_without_drift(case):
    captured, fee, refunds = case
    refunded = fee_back = 0
    for amount in refunds:
        total_fee = refunded_fee_total(captured=captured, fee=fee, refunded=refunded + amount)
        fee_part = total_fee - fee_back
        payout_part = amount - fee_part
        assert 0 <= fee_part <= amount
        assert payout_part >= 0
        refunded += amount
        fee_back = total_fee
        # What the platform and the helper still hold never goes negative.
        assert fee - fee_back >= 0
        assert (captured - fee) - (refunded - fee_back) >= 0
    if refunded == captured:
        assert fee_back == fee  # a full refund returns exactly the whole fee


@given(
    price=st.integers(min_value=1, max_value=1_000_000),
    data=st.data(),
)
def test_a_cancellation_fee_is_split_like_the_price(price, data):
    platform_fee = data.draw(st.integers(min_value=0, max_value=price))
    cancellation_fee = data.draw(st.integers(min_value=0, max_value=price))
    fee_share = share_half_up(cancellation_fee, platform_fee, price)
    assert 0 <= fee_share <= cancellation_fee
    assert fee_share + (cancellation_fee - fee_share) == cancellation_fee
    if cancellation_fee == price:
        assert fee_share == platform_fee

"""Python tools of the airline_rebooking scenario (`python: airline_tools:issue_voucher`).

A Python tool gets the call's arguments as keyword arguments and, when it takes `env`,
the sample's environment (agents.environment.Environment): reads and writes go to this
sample only, and are kept only when the call succeeds.
"""

from __future__ import annotations

from typing import Any

VOUCHER_EUR = {"cancellation": 150, "delay": 50}


def issue_voucher(reservation_id: str, reason: str, env: Any) -> dict[str, Any]:
    """Issue one travel voucher per reservation; the amount follows the airline's policy."""
    booking = env.get("reservation", reservation_id)
    if booking is None:
        raise ValueError(f"no reservation {reservation_id}")
    if booking.get("voucher"):
        raise ValueError(f"reservation {reservation_id} already has voucher {booking['voucher']}")
    voucher = f"V-{reservation_id}-{VOUCHER_EUR[reason]}"
    env.update("reservation", reservation_id, voucher=voucher)
    return {"voucher": voucher, "amount_eur": VOUCHER_EUR[reason], "reservation_id": reservation_id}

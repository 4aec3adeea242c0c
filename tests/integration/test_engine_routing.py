"""Which of billing's events start which order-to-cash flow (issue 14): pure routing, no I/O."""

from typing import Any

import pytest

from integration.engine import CATALOG, ORDER, SERVICE, _route_billing_event

ORDER_ID = "8015G0000000001AAA"


@pytest.mark.parametrize(
    ("event_type", "data", "expected"),
    [
        ("product.updated", {"id": "prod_1"}, (CATALOG, "prod_1")),
        ("service.renewed", {"id": "svc_1"}, (SERVICE, "svc_1")),
        ("service.cancelled", {"id": "svc_2"}, (SERVICE, "svc_2")),
        ("order.completed", {"id": "ord_1", "external_id": ORDER_ID}, (ORDER, ORDER_ID)),
        # a later submission of the same CRM order (a retried line)
        ("order.failed", {"id": "ord_2", "external_id": f"{ORDER_ID}-3f9a01bc"}, (ORDER, ORDER_ID)),
        ("order.completed", {"id": "ord_5", "external_id": ORDER_ID[:15]}, (ORDER, ORDER_ID[:15])),
        # not an Order id (an Account's key prefix)
        ("order.completed", {"id": "ord_6", "external_id": "0015G0000000001QAA"}, None),
        # an order the CRM did not place: its services arrive by their own events
        ("order.completed", {"id": "ord_3", "external_id": "order-acct_1"}, None),
        ("order.completed", {"id": "ord_4", "external_id": None}, None),
        ("bill_run.completed", {"id": "br_1"}, None),
    ],
)
def test_billing_events_route_to_their_flow(
    event_type: str, data: dict[str, Any], expected: tuple[str, str] | None
) -> None:
    assert _route_billing_event(event_type, {"type": event_type, "data": data}) == expected


def test_a_malformed_event_routes_nowhere() -> None:
    assert _route_billing_event("service.changed", {"data": "not an object"}) is None
    assert _route_billing_event(None, {"data": {"id": "svc_1"}}) is None

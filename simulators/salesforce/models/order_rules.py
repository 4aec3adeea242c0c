"""The Salesforce rules on the catalog and order objects (orders-and-catalog.md §0, §1.2-§1.5).

A real org enforces these in its own code, not in declarative validation rules, so they live
here as plain functions DML calls after system validation (``check_save``) and before a delete
(``check_delete``):

- standard price first: a custom price book entry needs a standard entry for the same product
  (STANDARD_PRICE_NOT_DEFINED); one entry per product and price book (DUPLICATE_VALUE); a custom
  entry with ``UseStandardPrice`` takes the standard entry's ``UnitPrice``;
- the standard price book cannot be deleted;
- an order's price book is fixed once set; order products need one, and their entry must belong
  to it (FIELD_INTEGRITY_EXCEPTION) and be active;
- activation (Draft -> Activated) is a status-only update, and needs at least one order product;
- an activated order cannot be deleted, nor its order products added, removed or re-priced
  (ENTITY_IS_LOCKED). Custom fields on them stay writable: the integration writes its sync
  status back to activated orders, as a user with "Edit Activated Orders" can.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from simulators.salesforce import catalogue
from simulators.salesforce.models.schema import FieldDef, ObjectDef
from simulators.salesforce.models.store import OrgStore, Row

ACTIVATED = "Activated"
#: OrderItem fields an activated order's products keep (quantity and price are the order's).
_LOCKED_ITEM_FIELDS = frozenset({"Quantity", "UnitPrice", "PricebookEntryId", "ServiceDate", "EndDate"})


def check_save(
    store: OrgStore, obj: ObjectDef, old: Row | None, values: list[Any], touched: Mapping[FieldDef, Any]
) -> None:
    """Raises the org's error when this create (``old`` None) or update breaks a rule."""
    rule = _SAVE_RULES.get(obj.name)
    if rule is not None:
        rule(store, obj, old, values, touched)


def check_delete(store: OrgStore, row: Row) -> None:
    name = row.obj.name
    if name == "Pricebook2" and row.get("IsStandard"):
        raise catalogue.STANDARD_PRICE_BOOK_DELETE.error([])
    if name == "Order" and row.get("Status") == ACTIVATED:
        raise catalogue.ACTIVATED_ORDER_LOCKED.error([])
    if name == "OrderItem":
        order = _row(store, row.get("OrderId"))
        if order is not None and order.get("Status") == ACTIVATED:
            raise catalogue.ACTIVATED_ORDER_LOCKED.error([])


def _row(store: OrgStore, record_id: Any) -> Row | None:
    row = store.row(record_id) if isinstance(record_id, str) else None
    return None if row is None or row.is_deleted else row


def _value(obj: ObjectDef, values: list[Any], name: str) -> Any:
    return values[obj.slot[name]]


def _pricebook_entry(
    store: OrgStore, obj: ObjectDef, old: Row | None, values: list[Any], touched: Mapping[FieldDef, Any]
) -> None:
    book = _row(store, _value(obj, values, "Pricebook2Id"))
    product_id = _value(obj, values, "Product2Id")
    if book is None:
        return  # system validation already answered a missing or unknown price book
    if old is None:
        same_book = store.lookup("PricebookEntry", "Product2Id", [product_id]) or ()
        if any(entry.get("Pricebook2Id") == book.id for entry in same_book):
            raise catalogue.DUPLICATE_PRICE.error([])
    if book.get("IsStandard"):
        return
    standard = _standard_entry(store, product_id)
    if standard is None:
        raise catalogue.STANDARD_PRICE_NOT_DEFINED.error([])
    if _value(obj, values, "UseStandardPrice"):
        values[obj.slot["UnitPrice"]] = standard.get("UnitPrice")


def _standard_entry(store: OrgStore, product_id: Any) -> Row | None:
    for entry in store.lookup("PricebookEntry", "Product2Id", [product_id]) or ():
        book = _row(store, entry.get("Pricebook2Id"))
        if book is not None and book.get("IsStandard"):
            return entry
    return None


def _order(
    store: OrgStore, obj: ObjectDef, old: Row | None, values: list[Any], touched: Mapping[FieldDef, Any]
) -> None:
    if old is None:
        if _value(obj, values, "Status") == ACTIVATED:
            # Orders are created in a Draft-category status (§1.4).
            raise catalogue.ORDER_CREATED_ACTIVATED.error(["Status"])
        return
    book_before = old.get("Pricebook2Id")
    if book_before is not None and _value(obj, values, "Pricebook2Id") != book_before:
        raise catalogue.ORDER_PRICE_BOOK_FIXED.error(["Pricebook2Id"])
    if old.get("Status") != ACTIVATED and _value(obj, values, "Status") == ACTIVATED:
        if any(f.name != "Status" for f in touched):
            raise catalogue.ACTIVATION_STATUS_ONLY.error(["Status"])
        if not store.lookup("OrderItem", "OrderId", [old.id]):
            raise catalogue.ACTIVATION_NEEDS_PRODUCTS.error([])


def _order_item(
    store: OrgStore, obj: ObjectDef, old: Row | None, values: list[Any], touched: Mapping[FieldDef, Any]
) -> None:
    order = _row(store, _value(obj, values, "OrderId"))
    if order is None:
        return  # system validation already answered it
    if order.get("Status") == ACTIVATED and (
        old is None or any(f.name in _LOCKED_ITEM_FIELDS for f in touched)
    ):
        raise catalogue.ACTIVATED_ORDER_LOCKED.error([])
    if old is not None:
        return
    entry = _row(store, _value(obj, values, "PricebookEntryId"))
    if entry is None:
        return
    if order.get("Pricebook2Id") is None or entry.get("Pricebook2Id") != order.get("Pricebook2Id"):
        raise catalogue.ENTRY_NOT_IN_ORDER_PRICE_BOOK.error(["PricebookEntryId"])
    if not entry.get("IsActive"):
        raise catalogue.INACTIVE_PRICE_BOOK_ENTRY.error(["PricebookEntryId"])


_SaveRule = Callable[[OrgStore, ObjectDef, "Row | None", list[Any], Mapping[FieldDef, Any]], None]
_SAVE_RULES: dict[str, _SaveRule] = {
    "PricebookEntry": _pricebook_entry,
    "Order": _order,
    "OrderItem": _order_item,
}

"""Catalog sync, billing -> CRM (issue 14): billing masters the catalog; the CRM copy is enriched
there (work order templates, SKUs, ...) and the enrichment survives every re-sync.

What the sync owns, and the only fields it ever sends (every other field is the CRM's own):
- ``Product2`` by ``Billing_Product_Id__c``: Name, ProductCode (billing's code), Description,
  IsActive (billing status ``active``; draft and deactivated products are inactive, never
  deleted), Family (subscription -> Subscription, add_on -> Add-On, one_time -> One-Time),
  Billing_Parent_Product_Ids__c (comma-separated billing ids), Billing_Last_Synced__c (set
  whenever the product or one of its records is written).
- ``PricebookEntry`` in the standard price book and in the ``Billing ...`` custom books (the rule
  below): UnitPrice, IsActive, Billing_Price_Id__c. Entries in any other price book are the org's.
- ``Billing_Term_Option__c`` by ``Billing_Term_Option_Id__c``: Name, Term_Months__c,
  End_Action__c, the ETL rule (ETL_Method__c; ETL_Percent__c for ``percent_remaining``;
  ETL_Rule__c: the whole rule as canonical JSON), IsActive__c (false once billing drops it).

Price book rule. The org is single-currency (``defaults.SALESFORCE_ORG_CURRENCY``, USD) and
Salesforce allows one entry per product and price book; billing has at most one price per kind
and currency. Per currency, a product's *list price* is its recurring price, else its one-time
price, else its usage price:
- the org currency's list price -> the standard price book (``IsStandard = true``);
- another currency's list price -> the custom book ``Billing <CUR>`` (e.g. ``Billing EUR``): an
  order in that currency finds every product in one book (``order_price_book``);
- every other price (e.g. a subscription's one-time installation fee) -> ``Billing <CUR> <Kind>``
  (e.g. ``Billing USD One-Time``, ``Billing EUR One-Time``).
So every billing price has exactly one entry. Salesforce wants a standard entry before any custom
one (STANDARD_PRICE_NOT_DEFINED): a product with no org-currency price gets an inactive standard
placeholder at 0 with no Billing_Price_Id__c. Entries are active while the product is active.
Custom books are created on first use (and found by name; the standard one by IsStandard).

Entry identity on re-sync: (price book, product), Salesforce's own uniqueness rule, not
``Billing_Price_Id__c``. That id is an external id but not unique, and which billing price fills a
slot can change (a one-time product gaining a recurring price moves its list price), in which
case the entry is updated in place: its Pricebook2Id and Product2Id are create-only anyway.

CRM products whose billing id billing does not know (a whole-catalog sync, or a 404 for a named
product) are made inactive with their entries: nothing can be ordered for them.

Batching: two reads (the price books; the products with their entries and term options as
parent-to-child subqueries, IN lists of ``QUERY_CHUNK``) and at most five write steps, each in
sObject Collections of 200: new price books, new products (upsert), new standard entries, new
custom entries with new term options (one mixed create), every change to existing records (one
mixed update). A re-sync with nothing changed is the two reads. Billing: the listing for the whole
catalog or for 100 products named or more (``LISTING_THRESHOLD``), else one GET per product. ``catalog_drift`` is the same comparison without writing,
so drift is 0 exactly when a sync would write nothing.
"""

from integration.flows.catalog.flow import WHOLE_CATALOG, CatalogReport, catalog_drift, sync_catalog
from integration.flows.catalog.rules import STANDARD_BOOK, order_price_book, price_book_name, price_slots

__all__ = [
    "STANDARD_BOOK",
    "WHOLE_CATALOG",
    "CatalogReport",
    "catalog_drift",
    "order_price_book",
    "price_book_name",
    "price_slots",
    "sync_catalog",
]

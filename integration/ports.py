"""What the flows need from Salesforce and from billing, as Protocols. The real clients in
``integration.clients`` satisfy them; tests may substitute fakes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from contracts.generated import billing_models as wire
from integration.clients.salesforce import ApiUsage, RecordResult


class SalesforcePort(Protocol):
    usage: ApiUsage
    calls: int

    async def query(self, soql: str) -> list[dict[str, Any]]: ...

    async def update(self, sobject: str, records: Sequence[Mapping[str, Any]]) -> list[RecordResult]: ...

    async def upsert(
        self, sobject: str, external_id_field: str, records: Sequence[Mapping[str, Any]]
    ) -> list[RecordResult]: ...

    async def create(self, sobject: str, records: Sequence[Mapping[str, Any]]) -> list[RecordResult]: ...

    async def close(self) -> None: ...


class BillingPort(Protocol):
    """The billing adapter contract, typed by the models generated from it."""

    calls: int

    async def bill_cycles(self) -> list[wire.BillCycle]: ...

    async def account_categories(self) -> list[wire.AccountCategory]: ...

    async def find_account(
        self, *, external_id: str | None = None, number: str | None = None
    ) -> wire.Account | None: ...

    async def get_account(self, account_id: str) -> wire.Account: ...

    async def create_account(self, body: wire.AccountCreate, *, idempotency_key: str) -> wire.Account: ...

    async def update_account(
        self, account_id: str, body: wire.AccountUpdate, *, idempotency_key: str
    ) -> wire.Account: ...

    async def account_summary(self, account_id: str) -> wire.AccountSummary: ...

    async def invoices(self, account_id: str) -> list[wire.Invoice]: ...

    async def events_page(self, after: str | None, *, limit: int = 100) -> wire.EventList: ...

    async def capabilities(self) -> wire.Capabilities: ...

    async def create_accounts_batch(
        self, items: Sequence[tuple[str, wire.AccountCreate]]
    ) -> list[wire.AccountBatchItemResult]: ...

    async def account_summaries(self) -> list[wire.AccountSummary]: ...

    async def products(self) -> list[wire.Product]: ...

    async def get_product(self, product_id: str) -> wire.Product: ...

    async def services(
        self, *, account_id: str | None = None, status: str | None = None
    ) -> list[wire.Service]: ...

    async def get_service(self, service_id: str) -> wire.Service: ...

    async def create_order(self, body: wire.OrderCreate, *, idempotency_key: str) -> wire.Order: ...

    async def get_order(self, order_id: str) -> wire.Order: ...

    async def orders(self, *, account_id: str | None = None) -> list[wire.Order]: ...

    async def quote_etl(
        self, service_id: str, body: wire.EtlQuoteRequest, *, idempotency_key: str
    ) -> wire.EtlQuote: ...

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        operation: str = "call",
        allow: tuple[int, ...] = (),
    ) -> tuple[int, Any]: ...

    async def close(self) -> None: ...

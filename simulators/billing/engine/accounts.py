"""Account rules: what a create or update request must satisfy, and the linking index.

Conventions (see ``models.accounts``): ``external_id``, ``email``, ``billing_address``,
``bill_cycle_id`` and ``account_category_id`` are required on create; the currency must be the
bill cycle's; a CRM key links one account at a time (409 ``external_id_taken`` names the holder);
updates accept ``expected_version`` (412 ``version_mismatch``); the bill cycle cannot change; a
closed account refuses updates; an account closes only without live services.
"""

from __future__ import annotations

from zoneinfo import ZoneInfoNotFoundError

import pycountry

from simulators.billing.engine import summary
from simulators.billing.engine.runtime import Runtime, zone
from simulators.billing.models import errors
from simulators.billing.models.accounts import Account, AccountChanges, AccountDraft, Unset
from simulators.billing.models.money import is_currency


def create(rt: Runtime, draft: AccountDraft) -> Account:
    """Validate a create request (per-field problems) and store the account."""
    store = rt.store
    for name in ("external_id", "email", "billing_address", "bill_cycle_id", "account_category_id"):
        if getattr(draft, name) in (None, ""):
            raise errors.missing(name)
    assert draft.external_id is not None
    assert draft.email is not None
    assert draft.billing_address is not None
    assert draft.bill_cycle_id is not None
    assert draft.account_category_id is not None
    existing = store.account_by_external_id.get(draft.external_id)
    if existing is not None:
        raise errors.fail(
            errors.EXTERNAL_ID_TAKEN,
            f"external id {draft.external_id!r} is already linked to account {existing}",
            param="external_id",
            extra={"existing_account_id": existing},
        )
    check_email(draft.email)
    cycle = store.bill_cycles.get(draft.bill_cycle_id)
    if cycle is None:
        raise errors.fail(
            errors.UNKNOWN_BILL_CYCLE,
            f"bill cycle {draft.bill_cycle_id!r} does not exist",
            param="bill_cycle_id",
        )
    if cycle.status != "active":
        raise errors.fail(
            errors.UNKNOWN_BILL_CYCLE, f"bill cycle {cycle.id!r} is {cycle.status}", param="bill_cycle_id"
        )
    category = store.categories.get(draft.account_category_id)
    if category is None:
        raise errors.fail(
            errors.UNKNOWN_ACCOUNT_CATEGORY,
            f"account category {draft.account_category_id!r} does not exist",
            param="account_category_id",
        )
    currency = draft.currency or cycle.currency
    if not is_currency(currency) or currency not in store.currencies:
        raise errors.fail(
            errors.UNSUPPORTED_CURRENCY,
            f"currency {currency!r} is not supported; use one of {store.currencies}",
            param="currency",
        )
    if currency != cycle.currency:
        raise errors.fail(
            errors.CURRENCY_MISMATCH,
            f"bill cycle {cycle.id!r} bills in {cycle.currency}, not {currency}",
            param="currency",
        )
    check_timezone(draft.timezone)
    check_country(draft.billing_address.country)
    now = rt.now()
    account = Account(
        id=rt.ids.prefixed("acct"),
        number=f"BAN{rt.ids.next_number('account'):06d}",
        external_id=draft.external_id,
        name=draft.name or draft.external_id,
        type=draft.type,
        email=draft.email,
        billing_address=draft.billing_address,
        currency=currency,
        bill_cycle_id=cycle.id,
        account_category_id=category.id,
        bill_delivery=draft.bill_delivery,
        timezone=draft.timezone,
        status="pending",
        created_at=now,
        updated_at=now,
        metadata=dict(draft.metadata),
    )
    store.add_account(account)
    summary.remember(rt, account)
    rt.emit("account.created", account, object_type="account", account_id=account.id)
    return account


def update(
    rt: Runtime, account: Account, changes: AccountChanges, *, expected_version: int | None = None
) -> Account:
    """Apply a partial update; ``account.linked`` when a CRM key is set, else ``account.updated``."""
    _check_updatable(account, changes, expected_version)
    updates = _field_updates(rt, account, changes)
    linked = _relink(rt, account, changes, updates)
    changed = {k: v for k, v in updates.items() if getattr(account, k) != v}
    if not changed:
        return account
    for key, value in changed.items():
        setattr(account, key, value)
    rt.touch(account)
    rt.emit(
        "account.linked" if linked else "account.updated",
        account,
        object_type="account",
        account_id=account.id,
    )
    rt.mark_dirty(account.id)
    return account


def _check_updatable(account: Account, changes: AccountChanges, expected_version: int | None) -> None:
    """The version matches, the bill cycle stays, the account is not closed."""
    if expected_version is not None and expected_version != account.version:
        raise errors.fail(
            errors.VERSION_MISMATCH,
            f"account {account.id!r} is at version {account.version}, not {expected_version}",
            extra={"current_version": account.version},
        )
    if not isinstance(changes.bill_cycle_id, Unset) and changes.bill_cycle_id != account.bill_cycle_id:
        raise errors.fail(
            errors.UNSUPPORTED_OPERATION,
            "moving an account to another bill cycle is not supported",
            param="bill_cycle_id",
        )
    if account.status == "closed":
        raise errors.fail(errors.ACCOUNT_CLOSED, f"account {account.id!r} is closed")


def _field_updates(rt: Runtime, account: Account, changes: AccountChanges) -> dict[str, object]:
    """The checked new values of every field the request sets (the CRM key aside)."""
    store = rt.store
    updates: dict[str, object] = {}
    if not isinstance(changes.name, Unset):
        updates["name"] = changes.name
    if not isinstance(changes.email, Unset):
        check_email(changes.email)
        updates["email"] = changes.email
    if not isinstance(changes.billing_address, Unset):
        check_country(changes.billing_address.country)
        updates["billing_address"] = changes.billing_address
    if not isinstance(changes.bill_delivery, Unset):
        updates["bill_delivery"] = changes.bill_delivery
    if not isinstance(changes.timezone, Unset):
        check_timezone(changes.timezone)
        updates["timezone"] = changes.timezone
    if not isinstance(changes.metadata, Unset):
        updates["metadata"] = dict(changes.metadata)
    if not isinstance(changes.account_category_id, Unset):
        if changes.account_category_id not in store.categories:
            raise errors.fail(
                errors.UNKNOWN_ACCOUNT_CATEGORY,
                f"account category {changes.account_category_id!r} does not exist",
                param="account_category_id",
            )
        updates["account_category_id"] = changes.account_category_id
    if not isinstance(changes.status, Unset) and changes.status != account.status:
        if changes.status == "pending":
            raise errors.invalid("status", "an account cannot go back to pending")
        if changes.status == "closed" and any(s.live for s in store.account_services(account.id)):
            raise errors.fail(
                errors.ACCOUNT_HAS_LIVE_SERVICES,
                f"account {account.id!r} still has live services",
                param="status",
            )
        updates["status"] = changes.status
    return updates


def _relink(rt: Runtime, account: Account, changes: AccountChanges, updates: dict[str, object]) -> bool:
    """A new CRM key moves the linking index (one account per key); True when a key is set."""
    if isinstance(changes.external_id, Unset) or changes.external_id == account.external_id:
        return False
    store = rt.store
    new_external = changes.external_id
    if new_external is not None:
        holder = store.account_by_external_id.get(new_external)
        if holder is not None:
            raise errors.fail(
                errors.EXTERNAL_ID_TAKEN,
                f"external id {new_external!r} is already linked to account {holder}",
                param="external_id",
                extra={"existing_account_id": holder},
            )
    if account.external_id is not None:
        store.account_by_external_id.pop(account.external_id, None)
    linked = False
    if new_external is not None:
        store.account_by_external_id[new_external] = account.id
        linked = True
    updates["external_id"] = new_external
    return linked


def check_email(email: str) -> None:
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email:
        raise errors.fail(errors.INVALID_FORMAT, f"{email!r} is not an email address", param="email")


def check_timezone(name: str) -> None:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise errors.fail(
            errors.INVALID_TIMEZONE, f"{name!r} is not an IANA time zone", param="timezone"
        ) from None


def check_country(code: str) -> None:
    if len(code) != 2 or not code.isupper() or pycountry.countries.get(alpha_2=code) is None:
        raise errors.fail(
            errors.INVALID_COUNTRY,
            f"{code!r} is not an ISO 3166-1 alpha-2 country code",
            param="billing_address.country",
        )

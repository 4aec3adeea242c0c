"""Catalog management rules in the models, without HTTP: add-ons attach to subscriptions, ETL
rules carry what their method needs, a refused change leaves the product and the log alone."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contracts.problem import Problem
from simulators.billing.models.catalog import (
    EtlRule,
    EtlTier,
    PriceDraft,
    ProductDraft,
    TermOptionChanges,
    TermOptionDraft,
)
from simulators.billing.models.money import Money
from simulators.billing.service.system import BillingSystem


def _events(system: BillingSystem, product_id: str) -> list[int]:
    return [
        e.object_version for e in system.events() if e.object_id == product_id and e.type == "product.updated"
    ]


def test_an_add_on_attaches_to_subscription_products(system: BillingSystem) -> None:
    parent = system.product_by_code("VS-4")
    addon = system.create_product(
        ProductDraft(
            code="BACKUP-1",
            name="Backup",
            type="add_on",
            parent_product_ids=(parent.id,),
            prices=(PriceDraft("recurring", Money(Decimal("5"), "USD"), "month"),),
        )
    )
    assert (addon.parent_product_ids, addon.prices[0].amount) == ((parent.id,), Money(Decimal("5.00"), "USD"))
    with pytest.raises(Problem) as refused:
        system.create_product(
            ProductDraft(code="BACKUP-2", name="Backup 2", type="add_on", parent_product_ids=(addon.id,))
        )
    assert (refused.value.code, refused.value.param) == ("invalid_product_type", "parent_product_ids.0")


def test_tiered_rules_are_checked_and_a_refused_change_changes_nothing(system: BillingSystem) -> None:
    product = system.product_by_code("VS-4")
    version, terms = product.version, product.term_options
    bad = EtlRule("tiered", tiers=(EtlTier(6, 1, Decimal("50")),))
    with pytest.raises(Problem) as refused:
        system.add_product_term_option(product.id, TermOptionDraft("48 months", 48, "renew", bad))
    assert (refused.value.status, refused.value.code, refused.value.param) == (
        422,
        "invalid_etl_rule",
        "etl_rule.tiers.0",
    )
    assert (product.version, product.term_options) == (version, terms)
    assert _events(system, product.id) == []
    good = EtlRule("tiered", tiers=(EtlTier(1, 6, Decimal("100")), EtlTier(7, 48, Decimal("50"))))
    changed = system.add_product_term_option(product.id, TermOptionDraft("48 months", 48, "renew", good))
    term = changed.term_options[-1]
    assert (term.term_months, term.etl_rule) == (48, good)
    removed = system.update_product_term_option(product.id, term.id, TermOptionChanges(etl_rule_set=True))
    assert removed.term_options[-1].etl_rule is None
    assert _events(system, product.id) == [version + 1, version + 2]

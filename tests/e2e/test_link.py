"""Account linking end to end: the link rules of DESIGN.md, against both simulators."""

from contracts.generated import billing_models as wire
from sandbox import scenario
from tests.support.sandbox import Sandbox

ACCOUNT_FIELDS = (
    "Id, Type, BillingCountry, Billing_Account_Number__c, Billing_Account_Id__c, Billing_Sync_Status__c, "
    "Billing_Sync_Error__c, Billing_Link_Requested__c, Billing_Cycle__c, Billing_Cycle_Id__c, "
    "Billing_Account_Category__c, Billing_Account_Category_Id__c, Billing_Primary_Email__c, Billing_Last_Synced__c"
)


async def test_link_500_accounts_refuses_incomplete_ones_and_leaves_prospects_alone(sandbox: Sandbox) -> None:
    crm = await scenario.create_crm(sandbox.crm_user, scenario.plan_accounts(500, seed=3))
    prospects, incomplete, customers = (
        crm.ids_of("prospect"),
        crm.ids_of("incomplete"),
        crm.ids_of("customer"),
    )
    assert (len(prospects), len(incomplete), len(customers)) == (100, 25, 375)

    result = await sandbox.core("POST", "/actions/link", {"wait": True, "timeout_seconds": 300}, expect=200)
    assert result["done"] is True
    assert result["outcomes"] == {"linked": 375, "refused": 25}
    assert result["created"] == 375

    records = {r["Id"]: r for r in await sandbox.crm_user.query(f"SELECT {ACCOUNT_FIELDS} FROM Account")}
    billing_accounts = await sandbox.billing_accounts()
    by_external_id = {a["external_id"]: a for a in billing_accounts}
    assert len(billing_accounts) == 375 == len(by_external_id)  # one billing account per customer

    for account_id in customers:
        record, account = records[account_id], by_external_id[account_id]
        assert record["Billing_Sync_Status__c"] == "Linked"
        assert record["Billing_Account_Number__c"] == account["number"]
        assert record["Billing_Account_Id__c"] == account["id"]
        assert record["Billing_Cycle_Id__c"] == account["bill_cycle_id"]
        assert record["Billing_Account_Category_Id__c"] == account["account_category_id"]
        assert record["Billing_Sync_Error__c"] is None
        assert record["Billing_Link_Requested__c"] is False
        assert record["Billing_Last_Synced__c"] is not None
        # The dirty spelling stays in the CRM; billing got ISO 3166 alpha-2.
        assert account["billing_address"]["country"] == crm.planned(account_id).iso_country

    for account_id in incomplete:
        record = records[account_id]
        missing = crm.planned(account_id).missing
        assert missing is not None
        assert record["Billing_Sync_Status__c"] == "Error"
        assert record["Billing_Sync_Error__c"] == (
            f"Cannot create the billing account: {missing}: {scenario.MISSING_MESSAGES[missing]}"
        )
        assert record["Billing_Account_Number__c"] is None
        assert account_id not in by_external_id  # nothing created in billing

    for account_id in prospects:
        record = records[account_id]
        assert record["Billing_Sync_Status__c"] is None
        assert record["Billing_Account_Number__c"] is None
        assert record["Billing_Last_Synced__c"] is None
        assert account_id not in by_external_id


async def test_linking_again_creates_nothing(sandbox: Sandbox) -> None:
    crm = await scenario.create_crm(sandbox.crm_user, scenario.plan_accounts(60, seed=4))
    await sandbox.core("POST", "/actions/link", {"wait": True}, expect=200)
    accounts_before = await sandbox.billing_accounts()

    # By criterion: nothing requests a link any more.
    again = await sandbox.core("POST", "/actions/link", {"wait": True}, expect=200)
    assert (again["selected"], again["created"]) == (0, 0)
    # By explicit ids, linked ones included: they are re-confirmed, not re-created.
    customers = crm.ids_of("customer")
    explicit = await sandbox.core(
        "POST", "/actions/link", {"account_ids": customers, "wait": True}, expect=200
    )
    assert explicit["outcomes"] == {"linked": len(customers)}
    assert explicit["created"] == 0
    assert len(await sandbox.billing_accounts()) == len(accounts_before)


async def test_an_account_already_in_billing_is_linked_not_duplicated(sandbox: Sandbox) -> None:
    crm = await scenario.create_crm(sandbox.crm_user, scenario.plan_accounts(20, seed=5))
    account_id = crm.ids_of("customer")[0]
    cycles = await sandbox.billing.bill_cycles()
    categories = await sandbox.billing.account_categories()
    existing = await sandbox.billing.create_account(
        wire.AccountCreate.model_validate(
            {
                "external_id": account_id,
                "name": "Already in billing",
                "email": "ap@already.example",
                "billing_address": {
                    "line1": "1 Old Road",
                    "city": "Boston",
                    "postal_code": "02101",
                    "country": "US",
                },
                "bill_cycle_id": cycles[1].id,
                "account_category_id": categories[1].id,
            }
        ),
        idempotency_key="pre-existing",
    )
    result = await sandbox.core(
        "POST", "/actions/link", {"account_ids": [account_id], "wait": True}, expect=200
    )
    assert result["outcomes"] == {"linked": 1}
    assert result["created"] == 0
    same = [a for a in await sandbox.billing_accounts() if a["external_id"] == account_id]
    assert [a["id"] for a in same] == [existing.id]
    (record,) = await sandbox.crm_user.query(
        f"SELECT {ACCOUNT_FIELDS} FROM Account WHERE Id = '{account_id}'"
    )
    # Linking an existing billing account pulls the email, cycle and category from billing.
    assert record["Billing_Account_Number__c"] == existing.number
    assert record["Billing_Primary_Email__c"] == "ap@already.example"
    assert record["Billing_Cycle_Id__c"] == cycles[1].id
    assert record["Billing_Cycle__c"] == cycles[1].name
    assert record["Billing_Account_Category__c"] == categories[1].name


async def test_manual_link_by_ban_relinks_the_billing_account(sandbox: Sandbox) -> None:
    crm = await scenario.create_crm(sandbox.crm_user, scenario.plan_accounts(10, seed=6))
    account_id = crm.ids_of("customer")[0]
    cycles = await sandbox.billing.bill_cycles()
    categories = await sandbox.billing.account_categories()
    orphan = await sandbox.billing.create_account(
        wire.AccountCreate.model_validate(
            {
                "external_id": "legacy-crm-key-1",
                "name": "Legacy",
                "email": "legacy@example.com",
                "billing_address": {
                    "line1": "2 Old Road",
                    "city": "Boston",
                    "postal_code": "02101",
                    "country": "US",
                },
                "bill_cycle_id": cycles[0].id,
                "account_category_id": categories[0].id,
            }
        ),
        idempotency_key="orphan",
    )
    await sandbox.crm_user.update("Account", [{"Id": account_id, "Billing_Account_Number__c": orphan.number}])
    result = await sandbox.core(
        "POST", "/actions/link", {"account_ids": [account_id], "wait": True}, expect=200
    )
    assert result["outcomes"] == {"linked": 1}
    relinked = await sandbox.billing.get_account(orphan.id)
    assert relinked.external_id == account_id


async def test_a_ban_unknown_to_billing_is_refused_with_a_message(sandbox: Sandbox) -> None:
    crm = await scenario.create_crm(sandbox.crm_user, scenario.plan_accounts(10, seed=8))
    account_id = crm.ids_of("customer")[0]
    await sandbox.crm_user.update("Account", [{"Id": account_id, "Billing_Account_Number__c": "BAN-NOPE"}])
    result = await sandbox.core(
        "POST", "/actions/link", {"account_ids": [account_id], "wait": True}, expect=200
    )
    assert result["refused"] == {account_id: "Billing_Account_Number__c: no billing account 'BAN-NOPE'"}

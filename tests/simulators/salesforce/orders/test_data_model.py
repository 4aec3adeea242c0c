"""The CRM data model of issue 14: the objects and fields exist, the default work order templates
are seeded, and SOQL reads across the new relationships (``FROM Order`` included)."""

from __future__ import annotations

from tests.support.salesforce import SfClient
from tests.support.sf_orders import create, draft_order, order_line, product_with_price, query

OPERATIONS = [
    "New",
    "Add-On",
    "Remove Add-On",
    "Change Quantity",
    "Re-Rate",
    "Re-Term",
    "Replace",
    "Renew",
    "Cancel",
]


async def field_names(sf: SfClient, sobject: str) -> set[str]:
    described = await sf.json("GET", f"/sobjects/{sobject}/describe", 200)
    return {f["name"] for f in described["fields"]}


async def test_the_objects_carry_the_issue_fields(sf: SfClient) -> None:
    expected = {
        "Product2": {"Billing_Product_Id__c", "Family", "IsActive", "Work_Order_Template__c"},
        "Order": {"Billing_Sync_Status__c", "Billing_Sync_Error__c", "Pricebook2Id", "Status"},
        "OrderItem": {
            "Billing_Action__c",
            "Billing_Service__c",
            "Term_Months__c",
            "Parent_Order_Item__c",
            "ETL_Amount__c",
            "PricebookEntryId",
            "Quantity",
            "UnitPrice",
        },
        "WorkOrder": {"Order_Product__c", "Status", "Is_Error__c", "Error_Message__c"},
        "WorkOrderLineItem": {"WorkOrderId", "Status", "Is_Error__c", "Error_Message__c", "Sequence__c"},
        "Billing_Service__c": {
            "Billing_Service_Id__c",
            "Status__c",
            "Product__c",
            "Quantity__c",
            "Price__c",
            "Start_Date__c",
            "End_Date__c",
            "Term_Months__c",
            "Renewal_Type__c",
            "Parent_Service__c",
            "Replaced_By__c",
        },
        "Billing_Term_Option__c": {"Product__c", "Term_Months__c", "End_Action__c", "ETL_Method__c"},
        "Work_Order_Template__c": {"Name", "Operation__c", "Product__c", "Is_Default__c"},
        "Work_Order_Task_Definition__c": {
            "Template__c",
            "Sequence__c",
            "Task_Type__c",
            "Billing_Operation__c",
        },
    }
    for sobject, fields in expected.items():
        assert fields <= await field_names(sf, sobject), sobject
    described = await sf.json("GET", "/sobjects/WorkOrderLineItem/describe", 200)
    status = next(f for f in described["fields"] if f["name"] == "Status")
    assert [v["value"] for v in status["picklistValues"]] == [
        "Pending",
        "Ready",
        "In Progress",
        "Completed",
        "Canceled",
    ]


async def test_default_templates_are_seeded_per_operation(sf: SfClient) -> None:
    templates = await query(
        sf,
        "SELECT Name, Operation__c, Product__c, (SELECT Name, Task_Type__c, Billing_Operation__c"
        " FROM Task_Definitions__r ORDER BY Sequence__c) FROM Work_Order_Template__c"
        " WHERE Is_Default__c = true ORDER BY Name",
    )
    assert sorted(t["Operation__c"] for t in templates) == sorted(OPERATIONS)
    assert all(t["Product__c"] is None for t in templates)
    by_operation = {t["Operation__c"]: t for t in templates}
    new_tasks = [d["Billing_Operation__c"] for d in by_operation["New"]["Task_Definitions__r"]["records"]]
    assert new_tasks == ["link_account", "submit_order", "await_result", "write_inventory"]
    cancel = by_operation["Cancel"]["Task_Definitions__r"]["records"]
    assert cancel[0]["Billing_Operation__c"] == "quote_etl"
    assert {d["Task_Type__c"] for t in templates for d in t["Task_Definitions__r"]["records"]} == {
        "Automated"
    }


async def test_template_names_are_unique_and_automated_tasks_name_their_operation(sf: SfClient) -> None:
    error = await sf.error(
        "POST", "/sobjects/Work_Order_Template__c", 400, json={"Name": "Default New", "Operation__c": "New"}
    )
    assert error["errorCode"] == "DUPLICATE_VALUE"
    catalog = await product_with_price(sf, "prod_vs")
    template = await create(
        sf,
        "Work_Order_Template__c",
        Name="New Virtual Server",
        Operation__c="New",
        Product__c=catalog.product,
    )
    error = await sf.error(
        "POST",
        "/sobjects/Work_Order_Task_Definition__c",
        400,
        json={"Name": "Provision", "Template__c": template, "Sequence__c": 10, "Task_Type__c": "Automated"},
    )
    assert error == {
        "message": "An automated task must name the billing operation it performs",
        "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "fields": ["Billing_Operation__c"],
    }
    await create(
        sf,
        "Work_Order_Task_Definition__c",
        Name="Rack the server",
        Template__c=template,
        Sequence__c=15,
        Task_Type__c="Manual",
    )
    error = await sf.error(
        "PATCH",
        f"/sobjects/Product2/{catalog.product}",
        400,
        json={"Work_Order_Template__c": catalog.product},
    )
    assert error["errorCode"] == "MALFORMED_ID"
    await sf.json(
        "PATCH", f"/sobjects/Product2/{catalog.product}", 204, json={"Work_Order_Template__c": template}
    )


async def test_billing_action_is_a_restricted_picklist(sf: SfClient) -> None:
    catalog = await product_with_price(sf)
    order = await draft_order(sf, catalog.standard_book)
    body = {
        "OrderId": order,
        "PricebookEntryId": catalog.standard_entry,
        "Quantity": 1,
        "UnitPrice": 1.0,
        "Billing_Action__c": "Upgrade",
    }
    error = await sf.error("POST", "/sobjects/OrderItem", 400, json=body)
    assert error["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert error["fields"] == ["Billing_Action__c"]


async def test_soql_reads_orders_work_orders_and_inventory(sf: SfClient) -> None:
    catalog = await product_with_price(sf, "prod_sip")
    order = await draft_order(sf, catalog.standard_book)
    base = await order_line(sf, order, catalog.standard_entry, Billing_Action__c="New", Term_Months__c=24)
    addon = await order_line(
        sf, order, catalog.standard_entry, Billing_Action__c="Add-On", Parent_Order_Item__c=base
    )
    work_order = await create(sf, "WorkOrder", Subject="Line 1", Order_Product__c=base, Order__c=order)
    for sequence, status in ((10, "Completed"), (20, "Ready")):
        await create(
            sf,
            "WorkOrderLineItem",
            WorkOrderId=work_order,
            OrderId=order,
            Sequence__c=sequence,
            Status=status,
            Task_Type__c="Automated",
            Billing_Operation__c="submit_order",
        )
    service = await create(
        sf,
        "Billing_Service__c",
        Name="SIP 1",
        Billing_Service_Id__c="svc_1",
        Product__c=catalog.product,
        Status__c="Active",
        Term_Months__c=24,
        Renewal_Type__c="Renew",
    )
    await create(
        sf,
        "Billing_Service__c",
        Name="SIP 1 add-on",
        Billing_Service_Id__c="svc_2",
        Parent_Service__c=service,
        Status__c="Active",
    )

    orders = await query(
        sf,
        "SELECT Id, Status, Billing_Sync_Status__c, (SELECT Billing_Action__c, Term_Months__c,"
        " Parent_Order_Item__c FROM OrderItems ORDER BY OrderItemNumber) FROM Order WHERE Id = '"
        + order
        + "'",
    )
    assert [
        (i["Billing_Action__c"], i["Parent_Order_Item__c"]) for i in orders[0]["OrderItems"]["records"]
    ] == [
        ("New", None),
        ("Add-On", base),
    ]
    tasks = await query(
        sf,
        "SELECT Sequence__c, Status, WorkOrder.Order_Product__c, WorkOrder.Order_Product__r.Order.Status"
        " FROM WorkOrderLineItem WHERE WorkOrder.Order__c = '" + order + "' ORDER BY Sequence__c",
    )
    assert [(t["Status"], t["WorkOrder"]["Order_Product__c"]) for t in tasks] == [
        ("Completed", base),
        ("Ready", base),
    ]
    assert tasks[0]["WorkOrder"]["Order_Product__r"]["Order"]["Status"] == "Draft"
    services = await query(
        sf,
        "SELECT Name, (SELECT Billing_Service_Id__c FROM Add_On_Services__r) FROM Billing_Service__c"
        " WHERE Parent_Service__c = null AND Product__r.Billing_Product_Id__c = 'prod_sip'",
    )
    assert services[0]["Add_On_Services__r"]["records"][0]["Billing_Service_Id__c"] == "svc_2"
    assert addon != base

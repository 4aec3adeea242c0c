"""Global and per-object describe, generated from the schema (salesforce-wire.md §3.5)."""

from __future__ import annotations

from typing import Any

from simulators.salesforce.models.schema import FieldDef, ObjectDef, Schema

SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "string": "xsd:string",
    "textarea": "xsd:string",
    "picklist": "xsd:string",
    "multipicklist": "xsd:string",
    "email": "xsd:string",
    "phone": "xsd:string",
    "url": "xsd:string",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "address": "urn:address",
}


def object_urls(obj: ObjectDef, version: str) -> dict[str, str]:
    base = f"/services/data/{version}/sobjects/{obj.name}"
    urls = {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}
    if obj.is_event:
        urls.pop("rowTemplate")
        urls["eventSchema"] = f"/services/data/{version}/event/eventSchema/{obj.key_prefix}"
    return urls


def object_flags(obj: ObjectDef, version: str) -> dict[str, Any]:
    data_object = not obj.is_event
    return {
        "activateable": False,
        "createable": obj.createable,
        "custom": obj.custom,
        "customSetting": False,
        "deletable": obj.deletable,
        "deprecatedAndHidden": False,
        "feedEnabled": data_object and obj.kind == "standard",
        "hasSubtypes": False,
        "isSubtype": False,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "layoutable": data_object,
        "mergeable": obj.name in ("Account", "Contact"),
        "mruEnabled": data_object,
        "name": obj.name,
        "queryable": obj.queryable,
        "replicateable": data_object,
        "retrieveable": data_object,
        "searchable": data_object and obj.name_field is not None,
        "triggerable": True,
        "undeletable": data_object and obj.deletable,
        "updateable": obj.updateable,
        "urls": object_urls(obj, version),
    }


def global_describe(schema: Schema, version: str) -> dict[str, Any]:
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [object_flags(obj, version) for obj in schema.objects()],
    }


def describe_field(obj: ObjectDef, fdef: FieldDef) -> dict[str, Any]:
    text = fdef.type in ("string", "textarea", "email", "phone", "url", "picklist", "multipicklist")
    numeric = fdef.type in ("double", "currency", "percent")
    compound = fdef.type == "address"
    return {
        "aggregatable": not compound and fdef.type not in ("textarea",),
        "autoNumber": fdef.auto_number is not None,
        "byteLength": fdef.length * 3 if text or fdef.type in ("id", "reference") else 0,
        "calculated": fdef.derived is not None,
        "calculatedFormula": None,
        "cascadeDelete": fdef.cascade_delete,
        "caseSensitive": fdef.case_sensitive,
        "compoundFieldName": fdef.compound_of,
        "createable": fdef.createable,
        "custom": fdef.custom,
        "defaultValue": fdef.default if fdef.type != "boolean" else None,
        "defaultValueFormula": None,
        "defaultedOnCreate": fdef.default is not None
        or fdef.owner
        or fdef.system
        or fdef.auto_number is not None,
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": fdef.precision if fdef.type == "int" else 0,
        "externalId": fdef.external_id,
        "filterable": not compound and fdef.type != "textarea",
        "groupable": not compound
        and fdef.type not in ("textarea", "double", "currency", "percent", "datetime"),
        "htmlFormatted": False,
        "idLookup": fdef.name == "Id" or fdef.external_id or (fdef.unique and fdef.type == "string"),
        "label": fdef.label,
        "length": fdef.length if text or fdef.type in ("id", "reference") else 0,
        "name": fdef.name,
        "nameField": fdef.name == obj.name_field,
        "nillable": fdef.nillable,
        "permissionable": fdef.custom and not fdef.required,
        "picklistValues": [
            {
                "active": True,
                "defaultValue": value == fdef.default,
                "label": value,
                "validFor": None,
                "value": value,
            }
            for value in fdef.picklist
        ],
        "polymorphicForeignKey": len(fdef.reference_to) > 1,
        "precision": fdef.precision if numeric else 0,
        "referenceTo": list(fdef.reference_to),
        "relationshipName": fdef.relationship_name,
        "relationshipOrder": None,
        "restrictedPicklist": fdef.restricted,
        "scale": fdef.scale if numeric else 0,
        "soapType": SOAP_TYPES[fdef.type],
        "sortable": not compound and fdef.type != "textarea",
        "type": fdef.type,
        "unique": fdef.unique,
        "updateable": fdef.updateable,
    }


def object_describe(schema: Schema, obj: ObjectDef, version: str) -> dict[str, Any]:
    described = object_flags(obj, version)
    described["fields"] = [describe_field(obj, f) for f in obj.fields()]
    described["childRelationships"] = [
        {
            "cascadeDelete": rel.cascade_delete,
            "childSObject": rel.child_object,
            "deprecatedAndHidden": False,
            "field": rel.field,
            "relationshipName": rel.relationship_name,
            "restrictedDelete": False,
        }
        for rel in obj.child_relationships()
    ]
    described["recordTypeInfos"] = (
        []
        if obj.is_event
        else [
            {
                "active": True,
                "available": True,
                "defaultRecordTypeMapping": True,
                "developerName": "Master",
                "master": True,
                "name": "Master",
                "recordTypeId": "012000000000000AAA",
                "urls": {
                    "layout": f"/services/data/{version}/sobjects/{obj.name}/describe/layouts/012000000000000AAA"
                },
            }
        ]
    )
    described["namedLayoutInfos"] = []
    described["supportedScopes"] = [{"label": "All", "name": "everything"}]
    return described


def basic_info(obj: ObjectDef, version: str, recent: list[dict[str, Any]]) -> dict[str, Any]:
    return {"objectDescribe": object_flags(obj, version), "recentItems": recent}

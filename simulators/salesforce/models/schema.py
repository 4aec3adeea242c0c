"""The org schema, declared once in YAML (``schema.yaml`` plus optional user files).

``ObjectDef`` and ``FieldDef`` implement the SOQL engine's ``ObjectInfo`` / ``FieldInfo`` ports;
describe, validation and the store all read them. Each stored field has a slot ``index`` in a
record's value list (compound address fields are not stored, their components are).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

# The C loader when PyYAML was built with libyaml (several times faster at start-up).
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

TYPES = (
    "id",
    "string",
    "textarea",
    "boolean",
    "int",
    "double",
    "currency",
    "percent",
    "date",
    "datetime",
    "picklist",
    "multipicklist",
    "reference",
    "email",
    "phone",
    "url",
    "address",
)
TEXT_TYPES = frozenset(
    {"id", "string", "textarea", "picklist", "multipicklist", "reference", "email", "phone", "url"}
)
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
ADDRESS_COMPONENTS: tuple[tuple[str, str, str, int], ...] = (
    # suffix, label suffix, type, length
    ("Street", "Street", "textarea", 255),
    ("City", "City", "string", 40),
    ("State", "State/Province", "string", 80),
    ("PostalCode", "Zip/Postal Code", "string", 20),
    ("Country", "Country", "string", 80),
)
CONDITION_OPS = frozenset(
    {
        "blank",
        "not_blank",
        "equals",
        "not_equals",
        "matches",
        "not_matches",
        "in",
        "not_in",
        "not_iso_country",
    }
)
_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")


class SchemaError(ValueError):
    """A schema file that cannot be used (the message names the object and field)."""


@dataclass(frozen=True, slots=True, eq=False)
class FieldDef:
    name: str
    type: str
    label: str
    length: int = 0
    precision: int = 0
    scale: int = 0
    required: bool = False
    unique: bool = False
    external_id: bool = False
    #: Marked indexed in the schema (a custom index): SOQL filters on it are served from an index.
    index_hint: bool = False
    case_sensitive: bool = False
    createable: bool = True
    updateable: bool = True
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    default: Any = None
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    child_relationship: str | None = None
    cascade_delete: bool = False
    custom: bool = False
    system: bool = False
    owner: bool = False
    auto_number: str | None = None
    derived: Mapping[str, Any] | None = None
    compound_of: str | None = None
    components: tuple[str, ...] = ()
    index: int = -1
    lower: str = ""

    @property
    def stored(self) -> bool:
        return self.index >= 0

    @property
    def indexed(self) -> bool:
        """Equality (and text prefix) filters on these are served from an index (Id is the
        table's own key); the object's name field is indexed too (``ObjectDef.indexed_fields``),
        as Salesforce's standard indexes are."""
        return self.unique or self.external_id or self.type == "reference" or self.index_hint

    @property
    def nillable(self) -> bool:
        return not self.required and self.type not in ("boolean", "id")


@dataclass(frozen=True, slots=True)
class ChildRel:
    relationship_name: str
    child_object: str
    field: str
    cascade_delete: bool = False


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class ValidationRule:
    name: str
    message: str
    conditions: tuple[Condition, ...]
    display_field: str | None = None
    active: bool = True


@dataclass(eq=False)
class ObjectDef:
    name: str
    label: str
    label_plural: str
    key_prefix: str | None
    kind: str  # standard | custom | event
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    name_field: str | None = None
    rules: list[ValidationRule] = field(default_factory=list)
    _fields: list[FieldDef] = field(default_factory=list)
    _by_lower: dict[str, FieldDef] = field(default_factory=dict)
    _by_name: dict[str, FieldDef] = field(default_factory=dict)
    _rel_by_lower: dict[str, FieldDef] = field(default_factory=dict)
    _children: dict[str, ChildRel] = field(default_factory=dict)
    stored: tuple[FieldDef, ...] = ()
    indexed_fields: tuple[FieldDef, ...] = ()
    required_fields: tuple[FieldDef, ...] = ()
    unique_fields: tuple[FieldDef, ...] = ()
    owner_fields: tuple[FieldDef, ...] = ()
    computed_fields: tuple[FieldDef, ...] = ()
    slot: dict[str, int] = field(default_factory=dict)

    # -- the SOQL ports -----------------------------------------------------------------------

    def field(self, name: str) -> FieldDef | None:
        found = self._by_name.get(name)  # canonical spelling: no lower() needed
        return found if found is not None else self._by_lower.get(name.lower())

    def fields(self) -> Sequence[FieldDef]:
        return self._fields

    def parent_relationship(self, name: str) -> FieldDef | None:
        return self._rel_by_lower.get(name.lower())

    def child_relationship(self, name: str) -> ChildRel | None:
        return self._children.get(name.lower())

    # -- the rest -------------------------------------------------------------------------------

    @property
    def custom(self) -> bool:
        return self.kind != "standard"

    @property
    def is_event(self) -> bool:
        return self.kind == "event"

    @property
    def queryable(self) -> bool:
        return not self.is_event

    def child_relationships(self) -> list[ChildRel]:
        return list(self._children.values())

    def references(self) -> Iterable[FieldDef]:
        return (f for f in self._fields if f.type == "reference" and f.stored)

    def add_field(self, definition: FieldDef) -> None:
        if definition.lower in self._by_lower:
            raise SchemaError(f"{self.name}.{definition.name} is declared twice")
        self._fields.append(definition)
        self._by_lower[definition.lower] = definition
        self._by_name[definition.name] = definition


class Schema:
    def __init__(self, objects: Iterable[ObjectDef]) -> None:
        self._objects: dict[str, ObjectDef] = {}
        self._by_prefix: dict[str, ObjectDef] = {}
        for obj in objects:
            self._objects[obj.name.lower()] = obj
            if obj.key_prefix:
                self._by_prefix[obj.key_prefix] = obj

    def get(self, name: str) -> ObjectDef | None:
        return self._objects.get(name.lower())

    def by_prefix(self, prefix: str) -> ObjectDef | None:
        return self._by_prefix.get(prefix)

    def objects(self) -> list[ObjectDef]:
        return list(self._objects.values())


# -- loading ------------------------------------------------------------------------------------


def default_schema_text() -> str:
    return resources.files(__package__).joinpath("schema.yaml").read_text(encoding="utf-8")


def load_schema(
    extra: Sequence[Path | str | Mapping[str, Any]] = (), *, activate: Iterable[str] = ()
) -> Schema:
    """The default schema, extended by each ``extra`` (a path, YAML text or a parsed mapping).

    ``activate`` names validation rules (``Object.Rule``) to switch on.
    """
    raw: dict[str, dict[str, Any]] = {}
    _merge(raw, _parse(default_schema_text(), "schema.yaml"), builtin=True)
    for item in extra:
        if isinstance(item, Path):
            _merge(raw, _parse(item.read_text(encoding="utf-8"), str(item)), builtin=False)
        elif isinstance(item, str):
            _merge(raw, _parse(item, "schema text"), builtin=False)
        else:
            _merge(raw, dict(item), builtin=False)
    for qualified in activate:
        obj_name, _, rule_name = qualified.partition(".")
        rules = raw.get(obj_name, {}).get("validationRules", [])
        matching = [r for r in rules if str(r.get("name", "")).lower() == rule_name.lower()]
        if not matching:
            raise SchemaError(f"no validation rule {qualified!r} to activate")
        for rule in matching:
            rule["active"] = True
    return _build(raw)


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        loaded = yaml.load(text, Loader=YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        raise SchemaError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("objects", {}), dict):
        raise SchemaError(f"{where}: expected a mapping with an 'objects' mapping")
    objects: dict[str, Any] = loaded.get("objects") or {}
    return objects


def _merge(raw: dict[str, dict[str, Any]], objects: Mapping[str, Any], *, builtin: bool) -> None:
    for name, spec in objects.items():
        if not isinstance(spec, dict) or not _API_NAME.match(str(name)):
            raise SchemaError(f"object {name!r}: expected a valid API name mapped to a definition")
        existing = next((key for key in raw if key.lower() == str(name).lower()), None)
        if existing is None:
            if not builtin and not (name.endswith(("__c", "__e"))):
                raise SchemaError(f"new object {name!r} must be custom (end in __c) or an event (__e)")
            raw[name] = {
                **spec,
                "fields": list(spec.get("fields") or []),
                "validationRules": list(spec.get("validationRules") or []),
            }
            continue
        target = raw[existing]
        for fdef in spec.get("fields") or []:
            fname = str(fdef.get("name", "")) if isinstance(fdef, dict) else ""
            if not builtin and not fname.endswith("__c"):
                raise SchemaError(f"{existing}.{fname}: fields added to an existing object must end in __c")
            target["fields"].append(fdef)
        for rule in spec.get("validationRules") or []:
            if not isinstance(rule, dict):
                raise SchemaError(f"{existing}: validation rules must be mappings")
            rules = target["validationRules"]
            rules[:] = [
                r for r in rules if str(r.get("name", "")).lower() != str(rule.get("name", "")).lower()
            ]
            rules.append(rule)


def _build(raw: Mapping[str, dict[str, Any]]) -> Schema:
    objects = [_build_object(name, spec) for name, spec in raw.items()]
    by_name = {obj.name.lower(): obj for obj in objects}
    customs = events = 0
    for obj in objects:
        if obj.key_prefix is None:
            # Custom objects get a00, a01, ... in declaration order; platform events e01, e02, ...
            if obj.is_event:
                events += 1
                obj.key_prefix = f"e{events:02d}"
            else:
                obj.key_prefix = f"a{customs:02d}"
                customs += 1
    for obj in objects:
        for fdef in obj.references():
            for target in fdef.reference_to:
                parent = by_name.get(target.lower())
                if parent is None:
                    raise SchemaError(f"{obj.name}.{fdef.name} references unknown object {target!r}")
                if fdef.child_relationship:
                    key = fdef.child_relationship.lower()
                    if key in parent._children:
                        raise SchemaError(
                            f"{parent.name} already has a child relationship {fdef.child_relationship!r}"
                        )
                    parent._children[key] = ChildRel(
                        fdef.child_relationship, obj.name, fdef.name, fdef.cascade_delete
                    )
        for rule in obj.rules:
            for condition in rule.conditions:
                if obj.field(condition.field) is None:
                    raise SchemaError(f"{obj.name} rule {rule.name}: unknown field {condition.field!r}")
    return Schema(objects)


def _system_fields(kind: str) -> list[dict[str, Any]]:
    if kind == "event":
        return [
            {"name": "ReplayId", "type": "string", "length": 255, "label": "Replay ID", "readOnly": True},
            {"name": "EventUuid", "type": "string", "length": 36, "label": "Event UUID", "readOnly": True},
            {"name": "CreatedDate", "type": "datetime", "label": "Created Date", "readOnly": True},
            {
                "name": "CreatedById",
                "type": "reference",
                "referenceTo": ["User"],
                "relationshipName": "CreatedBy",
                "label": "Created By ID",
                "readOnly": True,
            },
        ]
    audit = [
        ("CreatedDate", "datetime", "Created Date", None),
        ("CreatedById", "reference", "Created By ID", "CreatedBy"),
        ("LastModifiedDate", "datetime", "Last Modified Date", None),
        ("LastModifiedById", "reference", "Last Modified By ID", "LastModifiedBy"),
        ("SystemModstamp", "datetime", "System Modstamp", None),
    ]
    fields: list[dict[str, Any]] = [
        {"name": "Id", "type": "id", "label": "Record ID", "length": 18, "readOnly": True},
        {"name": "IsDeleted", "type": "boolean", "label": "Deleted", "readOnly": True, "default": False},
    ]
    for name, ftype, label, relationship in audit:
        entry: dict[str, Any] = {"name": name, "type": ftype, "label": label, "readOnly": True}
        if relationship:
            entry.update(referenceTo=["User"], relationshipName=relationship)
        fields.append(entry)
    return fields


_FIELD_KEYS = frozenset(
    {
        "name",
        "type",
        "label",
        "length",
        "precision",
        "scale",
        "required",
        "unique",
        "externalId",
        "indexed",
        "caseSensitive",
        "values",
        "restricted",
        "default",
        "referenceTo",
        "relationshipName",
        "childRelationship",
        "cascadeDelete",
        "readOnly",
        "createOnly",
        "autoNumber",
        "derived",
        "ownerField",
    }
)


def _build_object(name: str, spec: Mapping[str, Any]) -> ObjectDef:
    kind = "event" if name.endswith("__e") else "custom" if name.endswith("__c") else "standard"
    obj = ObjectDef(
        name=name,
        label=str(spec.get("label") or name.replace("__c", "").replace("__e", "").replace("_", " ")),
        label_plural=str(spec.get("labelPlural") or spec.get("label") or name),
        key_prefix=str(spec["keyPrefix"]) if spec.get("keyPrefix") else None,
        kind=kind,
        createable=bool(spec.get("createable", True)),
        updateable=bool(spec.get("updateable", kind != "event")),
        deletable=bool(spec.get("deletable", kind != "event")),
        name_field=spec.get("nameField"),
    )
    declared = [*_system_fields(kind), *(spec.get("fields") or [])]
    if kind == "custom" and not any(isinstance(f, dict) and f.get("name") == "Name" for f in declared):
        declared.append({"name": "Name", "type": "string", "length": 80, "label": f"{obj.label} Name"})
        obj.name_field = obj.name_field or "Name"
    index = 0
    for raw_field in declared:
        for fdef in _build_fields(obj.name, raw_field):
            if fdef.type != "address":
                fdef = dataclasses.replace(fdef, index=index)
                index += 1
            obj.add_field(fdef)
            if fdef.relationship_name:
                obj._rel_by_lower[fdef.relationship_name.lower()] = fdef
    obj.stored = tuple(f for f in obj.fields() if f.stored)
    obj.slot = {f.name: f.index for f in obj.stored}
    # Salesforce indexes the name field of every object as standard (Name, or e.g. Subject).
    name_field = obj.name_field or "Name"
    obj.indexed_fields = tuple(f for f in obj.stored if f.indexed or f.name == name_field)
    obj.required_fields = tuple(f for f in obj.stored if f.required)
    obj.unique_fields = tuple(f for f in obj.stored if f.unique and not f.system)
    obj.owner_fields = tuple(f for f in obj.stored if f.owner)
    obj.computed_fields = tuple(f for f in obj.stored if f.derived or f.auto_number)
    for raw_rule in spec.get("validationRules") or []:
        obj.rules.append(_build_rule(obj.name, raw_rule))
    return obj


def _address_fields(name: str, label: str) -> list[FieldDef]:
    """A compound address (read-only) and its writable components (``BillingStreet``...)."""
    stem = name[: -len("Address")] if name.endswith("Address") else name
    components = tuple(stem + suffix for suffix, _, _, _ in ADDRESS_COMPONENTS)
    compound = FieldDef(
        name=name,
        type="address",
        label=label,
        createable=False,
        updateable=False,
        components=components,
        lower=name.lower(),
    )
    parts = [
        FieldDef(
            name=stem + suffix,
            type=ctype,
            label=f"{label.replace(' Address', '')} {label_suffix}",
            length=length,
            compound_of=name,
            lower=(stem + suffix).lower(),
        )
        for suffix, label_suffix, ctype, length in ADDRESS_COMPONENTS
    ]
    return [compound, *parts]


def _build_fields(obj_name: str, raw: Any) -> list[FieldDef]:
    if not isinstance(raw, dict):
        raise SchemaError(f"{obj_name}: each field must be a mapping")
    unknown = set(raw) - _FIELD_KEYS
    name = str(raw.get("name", ""))
    where = f"{obj_name}.{name or '?'}"
    if unknown:
        raise SchemaError(f"{where}: unknown keys {sorted(unknown)}")
    if not _API_NAME.match(name):
        raise SchemaError(f"{where}: invalid field API name")
    ftype = str(raw.get("type", ""))
    if ftype not in TYPES:
        raise SchemaError(f"{where}: unknown type {ftype!r}; use one of {', '.join(TYPES)}")
    label = str(raw.get("label") or name.replace("__c", "").replace("_", " "))
    read_only = bool(raw.get("readOnly", False))
    if ftype == "address":
        return _address_fields(name, label)
    values = tuple(str(v) for v in raw.get("values") or ())
    if ftype in ("picklist", "multipicklist") and not values:
        raise SchemaError(f"{where}: a picklist needs values")
    reference_to = tuple(str(v) for v in raw.get("referenceTo") or ())
    if ftype == "reference" and (not reference_to or not raw.get("relationshipName")):
        raise SchemaError(f"{where}: a reference needs referenceTo and relationshipName")
    length = int(raw.get("length", 0) or 0)
    if ftype in ("string", "textarea", "email", "phone", "url") and length <= 0:
        raise SchemaError(f"{where}: a text field needs a positive length")
    if ftype in ("picklist", "multipicklist") and not length:
        length = 255 if ftype == "picklist" else 4099
    if ftype in ("reference", "id"):
        length = 18
    custom = name.endswith("__c")
    system = name in ("Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate") or name in (
        "LastModifiedById",
        "SystemModstamp",
        "ReplayId",
        "EventUuid",
    )
    derived = raw.get("derived")
    return [
        FieldDef(
            name=name,
            type=ftype,
            label=label,
            length=length,
            precision=int(raw.get("precision", 18 if ftype in NUMBER_TYPES else 0) or 0),
            scale=int(raw.get("scale", 0) or 0),
            required=bool(raw.get("required", False)),
            unique=bool(raw.get("unique", False)),
            external_id=bool(raw.get("externalId", False)),
            index_hint=bool(raw.get("indexed", False)),
            case_sensitive=bool(raw.get("caseSensitive", False)),
            createable=not read_only,
            updateable=not read_only and not raw.get("createOnly", False),
            picklist=values,
            restricted=bool(raw.get("restricted", False)),
            default=raw.get("default"),
            reference_to=reference_to,
            relationship_name=raw.get("relationshipName"),
            child_relationship=raw.get("childRelationship"),
            cascade_delete=bool(raw.get("cascadeDelete", False)),
            custom=custom,
            system=system,
            owner=bool(raw.get("ownerField", False)),
            auto_number=raw.get("autoNumber"),
            derived=dict(derived) if isinstance(derived, dict) else None,
            lower=name.lower(),
        )
    ]


def _build_rule(obj_name: str, raw: Any) -> ValidationRule:
    if not isinstance(raw, dict) or not raw.get("name") or not raw.get("errorMessage"):
        raise SchemaError(f"{obj_name}: a validation rule needs a name and an errorMessage")
    conditions = []
    for item in raw.get("conditions") or []:
        if not isinstance(item, dict) or item.get("op") not in CONDITION_OPS or not item.get("field"):
            raise SchemaError(
                f"{obj_name} rule {raw['name']}: each condition needs a field and an op among "
                f"{', '.join(sorted(CONDITION_OPS))}"
            )
        value = item.get("value")
        if item["op"] in ("matches", "not_matches"):
            try:
                re.compile(str(value))
            except re.error as exc:
                raise SchemaError(f"{obj_name} rule {raw['name']}: bad regex: {exc}") from None
        conditions.append(Condition(str(item["field"]), str(item["op"]), value))
    if not conditions:
        raise SchemaError(f"{obj_name} rule {raw['name']}: needs at least one condition")
    return ValidationRule(
        name=str(raw["name"]),
        message=str(raw["errorMessage"]),
        conditions=tuple(conditions),
        display_field=raw.get("errorDisplayField"),
        active=bool(raw.get("active", True)),
    )

"""The Pub/Sub schema registry: each event type's Avro schema, derived from the org schema on first
use and kept by id (an id handed out stays resolvable by GetSchema, as Salesforce keeps old
schema versions)."""

from __future__ import annotations

from simulators.salesforce.events.bus import entity_of
from simulators.salesforce.models.schema import Schema
from simulators.salesforce.pubsub.avro import EventSchema, change_event_schema, platform_event_schema


class SchemaRegistry:
    def __init__(self, schema: Schema) -> None:
        self._schema = schema
        # event name -> (field count it was built from, schema): a field added at run time
        # (a --schema file, the control plane) gives a new schema and a new id.
        self._by_name: dict[str, tuple[int, EventSchema]] = {}
        self._by_id: dict[str, EventSchema] = {}

    def for_event(self, event_name: str) -> EventSchema | None:
        """The current schema of ``AccountChangeEvent`` / ``Billing_Action__e`` (None: no such type)."""
        change = event_name.endswith("ChangeEvent")
        obj = self._schema.get(entity_of(event_name) if change else event_name)
        if obj is None or (not change and not obj.is_event):
            return None
        version = len(obj.fields())
        known = self._by_name.get(event_name)
        if known is not None and known[0] == version:
            return known[1]
        built = change_event_schema(obj) if change else platform_event_schema(obj)
        self._by_name[event_name] = (version, built)
        self._by_id.setdefault(built.schema_id, built)
        return built

    def by_id(self, schema_id: str) -> EventSchema | None:
        return self._by_id.get(schema_id)

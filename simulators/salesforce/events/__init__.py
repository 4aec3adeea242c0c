"""The org's event bus: Change Data Capture, Platform Events, retention and replay (a model:
no HTTP, no gRPC). Transports (CometD, Pub/Sub) and consumers read it through ``org.events``."""

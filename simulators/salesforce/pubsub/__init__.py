"""The Pub/Sub API (gRPC) of the Salesforce simulator: ``server`` (the grpc.aio server the app
starts in its cleanup_ctx), ``service`` (the ``eventbus.v1.PubSub`` servicer over the org's event
bus), ``publish``, ``avro`` (schemas, payloads, bitmaps), ``schemas`` (the registry) and
``errors`` (Salesforce's statuses and ``error-code`` trailers). Facts: salesforce-events.md §2."""

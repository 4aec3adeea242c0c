"""Salesforce's Pub/Sub API (gRPC) as published: ``pubsub_api.proto`` unmodified, and the stubs
generated from it (``python -m contracts.salesforce_pubsub.generate``; never edited by hand).

The simulator's server implements ``pubsub_api_pb2_grpc.PubSubServicer``; tests and clients use
``pubsub_api_pb2_grpc.PubSubStub`` unchanged, as any client generated from the proto would.
"""

"""Handlers of the billing contract: parse (the request is already validated against the
contract) -> call the billing system -> serialise. No business rules here."""

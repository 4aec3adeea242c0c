"""Code generated from the contracts (``make models``); never edited by hand.

``billing_models``: the billing adapter contract's component schemas as pydantic v2 models.
"""

"""The Salesforce simulator's models: schema, ids, store, validation, DML, orgs, bulk jobs.

No aiohttp here (rule 1): everything is usable and tested without HTTP.
"""

"""The Salesforce simulator REST surface: handlers that parse, call the models, serialise."""

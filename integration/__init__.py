"""The async integration core between Salesforce and the billing adapter contract."""

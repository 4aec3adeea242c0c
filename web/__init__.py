"""The web console and the customer self-care portal: a client of the other components' public
HTTP APIs only (control planes, the core's actions API, Salesforce REST, the billing contract)."""

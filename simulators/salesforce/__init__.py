"""The Salesforce simulator: a wire-faithful fake org."""

"""The billing simulator's domain models: state and rules, no aiohttp."""

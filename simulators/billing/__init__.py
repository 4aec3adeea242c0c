"""The billing simulator: a stateful billing system and the reference billing adapter."""

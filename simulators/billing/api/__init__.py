"""The billing simulator's HTTP layer: the contract's routes, call pipeline and handlers."""

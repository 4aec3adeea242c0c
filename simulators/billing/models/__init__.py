"""The billing simulator's domain models: state, values and pure calendar arithmetic; they import
nothing from the engine, service or api layers, and no aiohttp."""

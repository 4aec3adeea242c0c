"""The billing simulator's service layer: one service per aggregate, composed by ``BillingSystem``.

Layers (an import-linter contract): api -> service -> engine -> models. A service checks a
request against the current state (raising ``Problem``), calls the engine's rules and ends every
mutating call by settling the clock's due work (``engine.clockwork.settle``).
"""

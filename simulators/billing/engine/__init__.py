"""The billing engine: the rules (orders, changes, charging, proration, ETL, bill runs, payments,
aging, renewals) and the clock's work, on top of the models (pure Python)."""

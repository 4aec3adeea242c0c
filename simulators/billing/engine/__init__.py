"""The billing engine: cycles, proration, ETL, bill runs, aging and renewals (pure Python)."""

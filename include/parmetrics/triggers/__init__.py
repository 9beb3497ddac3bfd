"""Triggers the Airflow triggerer imports (kept in the package so every component imports the same code)."""

"""Data-quality gate (Great Expectations on DataFrames pulled from DuckDB)."""

"""The landing zone: immutable Parquet batches with a manifest, the system of record of extraction."""

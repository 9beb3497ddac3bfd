"""Airflow-facing helpers: DAG factories, task callables, asset names. DAG files stay thin."""

"""Running the dbt project."""

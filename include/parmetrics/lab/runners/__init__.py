"""Real Airflow on one machine: ``airflow standalone`` (``standalone``), the embedded default with the
simulated sources (``embedded``) and the CeleryExecutor deployment as local processes (``celery_cluster``)."""

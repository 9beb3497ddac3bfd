"""Settings objects Airflow imports by dotted path (``AIRFLOW__…`` variables name them)."""

# The embedded Airflow keeps its metadata in SQLite, one writer at a time. pysqlite gives up on a
# locked database after 5 s; on a busy 2-core machine the scheduler, the API server and a backfill
# creation collide for longer than that ("database is locked"). Wait instead.
SQLITE_CONNECT_ARGS = {"timeout": 60}

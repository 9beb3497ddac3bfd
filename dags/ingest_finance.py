"""Airflow DAG ``ingest_finance``: the finance systems' file drops (budget revenue, public investment,
enterprise registrations).

Event-driven: a file dropped in the finance inbox (Airflow variable ``finance_inbox``) is claimed by
the inbox watcher (an ``AssetWatcher`` whose trigger lives in ``parmetrics.triggers.inbox``) and
starts this DAG within a poll interval — no DAG polls the inbox. Each file lands whole as the batch
of its period (a ``_v<N>`` re-send supersedes it; the same bytes twice change nothing) or, when it
breaks SOURCES.md §3, moves to quarantine with a one-line reason and nothing from it lands.
"""

from parmetrics.orchestration.dag_factories import FINANCE, file_drop_dag

dag = file_drop_dag(FINANCE, doc=__doc__)

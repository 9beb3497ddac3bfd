"""Airflow DAG ``ingest_reference``: reference data (administrative units, procedure catalogue, website
listings) from the reference inbox.

Event-driven: a file dropped in the reference inbox is claimed by the inbox watcher (an
``AssetWatcher`` whose trigger lives in ``parmetrics.triggers.inbox``) and starts this DAG within a
poll interval. Each file is a complete monthly snapshot (SOURCES.md §4) and lands as its own batch,
so history is kept and a ``_v<N>`` re-send replaces only its month; a file that breaks the contract
is quarantined with a one-line reason. A manual run processes whatever is in the inbox.
"""

from parmetrics.orchestration.dag_factories import REFERENCE, file_drop_dag

dag = file_drop_dag(REFERENCE, doc=__doc__)

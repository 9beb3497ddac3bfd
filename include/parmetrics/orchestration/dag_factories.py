"""The ingestion DAGs, from two factories: the database sources (with their monthly history twins)
and the file drops.

Each database source has two DAGs with the same extraction tasks:

- the **nightly** DAG (``ingest_dossiers``, ``ingest_documents``): a daily data interval or an asset
  event from the source; runs without an interval extract from the high-water mark, which the last
  task advances;
- the **history twin** (``ingest_dossiers_history``, ``ingest_documents_history``): a monthly
  ``CronDataIntervalTimetable``, so ``airflow backfill create`` makes one run per month (72 for six
  years instead of 2,190 daily runs — ARCHITECTURE.md). A twin never moves the high-water mark: its
  runs may finish in any order, and the mark promises that everything before it was extracted. It
  lands the same batches and emits the same landing asset, so the build picks them up.

A twin's tasks run in the ``history_ingestion`` pool (a few slots), so a backfill cannot take every
executor slot from the nightly runs; the build's DuckDB writes stay behind the one-slot writer pool.

The file drops (``ingest_finance``, ``ingest_reference``) are event-driven: the inbox asset's watcher
claims the dropped files and its event starts the DAG, whose one task lands (or quarantines) every
claimed file and emits the landing asset.
"""

from __future__ import annotations

from dataclasses import dataclass

import pendulum
from airflow.sdk import DAG, Asset, task

from parmetrics.orchestration import assets, ingestion, schedules

HISTORY_START = pendulum.datetime(2015, 1, 1, tz=schedules.TIMEZONE)
NIGHTLY_START = pendulum.datetime(2026, 1, 1, tz=schedules.TIMEZONE)


@dataclass(frozen=True)
class DatabaseSource:
    """What differs between the database sources: names, datasets, the nightly time and assets."""

    name: str  # ops/landing name, e.g. "dossier_api"
    dag_id: str
    datasets: tuple[str, ...]
    nightly_cron: str
    changes: Asset  # the source's own "I have new data" asset
    landing: Asset
    doc: str


DOSSIERS = DatabaseSource(
    name=ingestion.DOSSIER_SOURCE,
    dag_id="ingest_dossiers",
    datasets=ingestion.DOSSIER_DATASETS,
    nightly_cron="0 1 * * *",
    changes=assets.DOSSIER_API_CHANGES,
    landing=assets.LANDING_DOSSIER_API,
    doc="the dossier system (one-stop software, REST API): dossiers and their status events",
)
DOCUMENTS = DatabaseSource(
    name=ingestion.DOCUMENT_SOURCE,
    dag_id="ingest_documents",
    datasets=ingestion.DOCUMENT_TABLES,
    nightly_cron="30 1 * * *",
    changes=assets.DOCUMENT_DB_CHANGES,
    landing=assets.LANDING_DOCUMENT_DB,
    doc="the document-management database: outgoing/incoming documents, work files, assigned tasks",
)


def _dag_doc(source: DatabaseSource, history: bool) -> str:
    if history:
        return (
            f"History twin of `{source.dag_id}`: {source.doc}, one run per calendar month "
            "(Asia/Ho_Chi_Minh), for `airflow backfill create --dag-id "
            f"{source.dag_id}_history --from-date 2019-01-01 --to-date 2024-12-01` or "
            "`parmetrics backfill --from 2019-01 --to 2024-12`. Lands the month's batches and emits the "
            "landing asset; never moves the high-water mark."
        )
    return (
        f"Ingest {source.doc}. Nightly with a real data interval (the previous day plus a safety margin), "
        "or on an event of the source's asset; runs without an interval extract from the high-water "
        "mark. Each dataset lands one Parquet batch per window; the landing asset triggers `build_marts`."
    )


def ingestion_dag(source: DatabaseSource, *, history: bool = False) -> DAG:
    """The nightly ingestion DAG of ``source``, or (``history=True``) its monthly history twin."""
    dag_id = f"{source.dag_id}_history" if history else source.dag_id
    task_defaults: dict = {"retries": 2, "retry_delay": pendulum.duration(minutes=2 if not history else 1)}
    if history:
        task_defaults["pool"] = assets.HISTORY_INGESTION_POOL
    with DAG(
        dag_id=dag_id,
        schedule=schedules.monthly_history()
        if history
        else schedules.nightly_ingestion(source.nightly_cron, source.changes),
        start_date=HISTORY_START if history else NIGHTLY_START,
        catchup=False,
        # A nightly run must not overlap the next one; history months are independent windows, and a
        # backfill's own max_active_runs (parmetrics backfill: 2) bounds them.
        max_active_runs=1 if not history else 4,
        default_args=task_defaults,
        doc_md=_dag_doc(source, history),
        tags=["ingestion", source.name, *(["history"] if history else [])],
    ) as dag:
        if history:
            _history_tasks(source, dag_id)
        else:
            _nightly_tasks(source)
    return dag


def _nightly_tasks(source: DatabaseSource) -> None:
    """One window for every dataset (from the oldest high-water mark), then the mark moves once all landed."""

    # Return values are single XComs: a dict would otherwise become one XCom per key.
    @task(multiple_outputs=False)
    def resolve_window(**context) -> dict:
        return ingestion.resolve_window(context, source.name, source.datasets)

    @task(multiple_outputs=False)
    def extract(dataset: str, window: dict) -> dict:
        return ingestion.extract_dataset(source.name, dataset, window)

    @task(outlets=[source.landing])
    def advance_watermark(window: dict, stats: dict, **context) -> None:
        ingestion.advance_watermarks(source.name, source.datasets, window, stats, context["run_id"])

    window = resolve_window()
    stats = {d: extract.override(task_id=f"extract_{d}")(d, window) for d in source.datasets}
    advance_watermark(window, stats)


def _history_tasks(source: DatabaseSource, dag_id: str) -> None:
    """The same extract tasks, each on the run's month and emitting the landing asset itself.

    A twin needs neither the nightly resolve step (its window is its data interval, whatever the
    watermarks say) nor the watermark step (it never moves the mark). Dropping them matters: a task
    costs seconds of process start-up, and a six-year backfill of both sources runs 72 months each.
    """

    @task(multiple_outputs=False, outlets=[source.landing])
    def extract(dataset: str, **context) -> dict:
        if ingestion.skip_scheduled_history_run(context):
            # Demo and tests run on a fixed reference clock far from the wall clock: there the
            # scheduler's own monthly run would extract a month the simulated source never saw.
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException("event-only mode: history twins run only for backfills or by hand")
        window = ingestion.resolve_window(context, source.name, source.datasets, history=True)
        stats = ingestion.extract_dataset(source.name, dataset, window)
        ingestion.record_history_landing(source.name, dataset, window, stats, context["run_id"], dag_id)
        return stats

    for dataset in source.datasets:
        extract.override(task_id=f"extract_{dataset}")(dataset)


@dataclass(frozen=True)
class FileDropSource:
    """What differs between the file drops: names, the inbox asset that starts the DAG, the landing."""

    dag_id: str
    task_id: str
    inbox: Asset  # carries the inbox watcher (its trigger claims the files)
    landing: Asset
    land: str  # the task callable in ``orchestration/ingestion.py``, looked up when the task runs
    tag: str


FINANCE = FileDropSource(
    dag_id="ingest_finance",
    task_id="land_finance_files",
    inbox=assets.FINANCE_INBOX,
    landing=assets.LANDING_FINANCE,
    land="land_finance_inbox",
    tag="finance",
)
REFERENCE = FileDropSource(
    dag_id="ingest_reference",
    task_id="land_reference_files",
    inbox=assets.REFERENCE_INBOX,
    landing=assets.LANDING_REFERENCE,
    land="land_reference_inbox",
    tag="reference",
)


def file_drop_dag(source: FileDropSource, doc: str) -> DAG:
    """The event-driven DAG of one file drop: one run per inbox event (one at a time, so two runs never
    process the same claimed files), one task landing every claimed file; ``doc`` is its ``doc_md``."""
    with DAG(
        dag_id=source.dag_id,
        schedule=[source.inbox],
        start_date=NIGHTLY_START,
        catchup=False,
        max_active_runs=1,
        default_args={"retries": 1, "retry_delay": pendulum.duration(seconds=30)},
        doc_md=doc,
        tags=["ingestion", source.tag],
    ) as dag:

        @task(task_id=source.task_id, outlets=[source.landing])
        def land_files() -> list[dict]:
            return getattr(ingestion, source.land)()

        land_files()
    return dag

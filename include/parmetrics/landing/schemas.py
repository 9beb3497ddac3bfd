"""Arrow schemas of the landed datasets, from the dataset catalogue (``parmetrics.catalogue``).

Landing keeps the source's field names (SOURCES.md; renamed to English in dbt staging and nowhere
else), with personal fields removed and the ID number replaced by ``applicant_key``. Timestamps are
naive local time (Asia/Ho_Chi_Minh), parsed from ``yyyyMMddHHmmss`` at extraction so that a
malformed one is caught (and quarantined) before anything lands. The names below are the ones the
rest of the code has always imported; the declarations live in ``catalogue/datasets.py``.
"""

from __future__ import annotations

import pyarrow as pa

from parmetrics.catalogue import DATASETS
from parmetrics.catalogue import datasets as _c

TS = pa.timestamp("s")

# Fields of a dossier record that are personal data: never written anywhere (ARCHITECTURE.md).
DOSSIER_PERSONAL_FIELDS = _c.DOSSIERS.personal_fields
DOSSIER_TIMESTAMP_FIELDS = tuple(
    f.name for f in _c.DOSSIERS.fields if f.origin == "source" and pa.types.is_timestamp(f.type)
)

DOSSIERS = _c.DOSSIERS.schema
DOSSIER_EVENTS = _c.DOSSIER_EVENTS.schema
UNITS = _c.UNITS.schema
OUTGOING_DOCUMENTS = _c.OUTGOING_DOCUMENTS.schema
INCOMING_DOCUMENTS = _c.INCOMING_DOCUMENTS.schema
WORK_FILES = _c.WORK_FILES.schema
ASSIGNED_TASKS = _c.ASSIGNED_TASKS.schema
BUDGET_REVENUE = _c.BUDGET_REVENUE.schema
PUBLIC_INVESTMENT = _c.PUBLIC_INVESTMENT.schema
ENTERPRISE_REGISTRATIONS = _c.ENTERPRISE_REGISTRATIONS.schema
PROCEDURES = _c.PROCEDURES.schema
WEBSITE_LISTINGS = _c.WEBSITE_LISTINGS.schema

# (source, dataset) -> schema. Landing paths are landing/<source>/<dataset>/batch=<id>/part-NNNNN.parquet.
LANDING_SCHEMAS: dict[tuple[str, str], pa.Schema] = {(d.source.name, d.name): d.schema for d in DATASETS}

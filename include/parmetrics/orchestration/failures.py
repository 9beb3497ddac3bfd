"""How data-quality failures fail an Airflow task: at once, without retries.

Retrying cannot fix bad data, and a retry of a file run would even succeed wrongly (the failing
file was quarantined by the first attempt). The message keeps the suite and expectation names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from parmetrics.quality.errors import QualityGateError


@contextlib.contextmanager
def fail_without_retry_on_bad_data() -> Iterator[None]:
    try:
        yield
    except QualityGateError as exc:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(str(exc)) from exc

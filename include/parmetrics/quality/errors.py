"""The gate's exception, importable without pandas, DuckDB or GX (DAG parsing and the triggerer import
the file-drop code that raises it; every import there slows every DAG parse)."""


class QualityGateError(RuntimeError):
    """A suite failed; the message names the suite and each failed expectation."""

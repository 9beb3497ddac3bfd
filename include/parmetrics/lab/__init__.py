"""The lab: everything that exercises the pipeline without being part of it.

Simulated source systems (``simulators``), the reliability soak (``soak``), the benchmarks (``bench``),
the demo (``demo``: ``make run``) and the runners that start real Airflow on one machine (``runners``:
``airflow standalone``, the embedded default, a CeleryExecutor cluster of local processes). The lab
imports the pipeline; the pipeline (every other package under ``parmetrics`` but ``cli``) never
imports the lab — ``tests/test_structure.py`` holds that line.
"""

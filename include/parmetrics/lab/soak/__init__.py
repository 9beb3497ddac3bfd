"""The reliability soak (``make soak``): seeded fault mixes, each round checked against ground truth.

- :mod:`.faults` draws a round's fault mix and injects what the simulator's own knobs do not
  (timeouts, truncated pages, records broken in the source);
- :mod:`.truth` reads the ground truth (the simulated source itself, the files the soak dropped) and
  compares landing, staging, marts and the published file with it;
- :mod:`.runner` runs the rounds (extract → land → dbt build → gate → publish, with kills) and writes
  the report.
"""

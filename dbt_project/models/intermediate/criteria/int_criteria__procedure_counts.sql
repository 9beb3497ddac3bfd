-- Procedure-based criteria (METRICS.md §3, §5): 766.3.1, 766.3.2, 766.4.1, 766.4.2 and 766.5.6 per unit
-- and for the province (distinct procedures province-wide), and the catalogue criteria 766.1.1–766.1.3
-- (province only). Catalogue attributes are read as of the month of the period's calendar end; a
-- procedure missing from that snapshot is left out. Rows exist for every (unit, period) of the dossier
-- pool and, for the province, every period with a pool or a catalogue. Reads the monthly roll-up of
-- int_unit_procedure_months (a quarter or year is the union of its months) and the pools of
-- int_dossier_period_counts, so it stays a small table rebuilt on every build.
-- Grain: one row per (period_grain, period_start, unit_code, is_province_rollup, criterion_code).
{{ procedure_criteria_counts() }}

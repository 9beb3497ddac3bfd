-- The procedure-based criteria (766.3.1, 766.3.2, 766.4.1, 766.4.2, 766.5.6) per unit as restated
-- across the 2025 reorganisation (int_unit_restatement): a successor commune's row counts the distinct
-- procedures of its predecessors and itself together (a procedure two predecessors both handled is one
-- procedure). Same definition as int_criteria__procedure_counts, through one macro. Read by
-- criteria_scores_restated. Grain: one row per (period_grain, period_start, unit_code,
-- is_province_rollup, criterion_code).
{{ config(materialized='view') }}  -- small, read once per build: no table to write
{{ procedure_criteria_counts(restated=true) }}

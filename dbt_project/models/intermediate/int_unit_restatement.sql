-- The unit each historic unit's counts are restated under across the 2025 reorganisation (domain-notes
-- §h): a commune that merged into another commune — following the chain to today's commune
-- (int_unit_history.final_successor_unit_code) — is restated under its successor; every other unit
-- (districts, which have no successor commune, departments, the province, communes that did not merge)
-- stays under itself. History itself stays attributed to the historic unit everywhere else; only
-- criteria_scores_restated reads this. Grain: one row per unit of the newest don_vi snapshot.
{{ config(materialized='view') }}  -- small, read once per build: no table to write
select
    units.unit_code,
    case
        when units.unit_level = 'commune' and successor.unit_level = 'commune'
            then successor.unit_code
        else units.unit_code
    end as restated_unit_code
from {{ ref('int_unit_history') }} as units
left join {{ ref('int_unit_history') }} as successor on units.final_successor_unit_code = successor.unit_code

-- The provincial PAR scorecard per unit and year (METRICS.md §6): points = sum of the PAR criteria's
-- points, covered_max = max points of the computable ones, score_pct = points / covered_max, ranked within
-- the level by score_pct (ties share a rank) among the units in force at the year's end only (a ceased
-- unit keeps its row and points, with a null rank and is_unit_in_force false); plus one points column
-- per PAR criterion (null when the criterion has no row or is not applicable). Grain: one row per
-- (year, unit_code).
with

scores as (
    select * from {{ ref('criteria_scores') }}
    where criterion_code like 'PAR.%' and period_grain = 'year'
),

summed as (
    select
        year(period_start) as year,
        period_end,
        unit_code,
        unit_name,
        unit_level,
        round(coalesce(sum(points), 0), 6) as points,
        coalesce(sum(max_points) filter (where points is not null), 0) as covered_max_points,
        max(as_of) as as_of,
        round(sum(points) filter (where criterion_code = 'PAR.3.ontime'), 6) as par_3_ontime_points,
        round(sum(points) filter (where criterion_code = 'PAR.3.apology'), 6) as par_3_apology_points,
        round(sum(points) filter (where criterion_code = 'PAR.3.online_payment'), 6) as par_3_online_payment_points,
        round(sum(points) filter (where criterion_code = 'PAR.3.online_dossiers'), 6) as par_3_online_dossiers_points,
        round(sum(points) filter (where criterion_code = 'PAR.3.digitisation'), 6) as par_3_digitisation_points,
        round(
            sum(points) filter (where criterion_code = 'PAR.3.components_attached'),
            6
        ) as par_3_components_attached_points,
        round(sum(points) filter (where criterion_code = 'PAR.3.backdated'), 6) as par_3_backdated_points,
        round(sum(points) filter (where criterion_code = 'PAR.3.expired_listed'), 6) as par_3_expired_listed_points,
        round(sum(points) filter (where criterion_code = 'PAR.7.e_documents'), 6) as par_7_e_documents_points,
        round(sum(points) filter (where criterion_code = 'PAR.7.national_axis'), 6) as par_7_national_axis_points,
        round(
            sum(points) filter (where criterion_code = 'PAR.7.work_files_online'),
            6
        ) as par_7_work_files_online_points,
        round(sum(points) filter (where criterion_code = 'PAR.1.tasks_on_time'), 6) as par_1_tasks_on_time_points,
        round(sum(points) filter (where criterion_code = 'PAR.6.disbursement'), 6) as par_6_disbursement_points,
        round(sum(points) filter (where criterion_code = 'PAR.8.enterprise_revenue_share'), 6)
            as par_8_enterprise_revenue_share_points,
        round(
            sum(points) filter (where criterion_code = 'PAR.8.revenue_vs_estimate'),
            6
        ) as par_8_revenue_vs_estimate_points,
        round(sum(points) filter (where criterion_code = 'PAR.8.new_enterprises'), 6) as par_8_new_enterprises_points
    from scores
    group by all
),

flagged as (
    {{ with_unit_in_force('summed', 'period_end') }}
)

select
    cast(year as integer) as year,
    cast(unit_code as varchar) as unit_code,
    cast(unit_name as varchar) as unit_name,
    cast(unit_level as varchar) as unit_level,
    cast(points as double) as points,
    cast(covered_max_points as double) as covered_max_points,
    cast(points / nullif(covered_max_points, 0) as double) as score_pct,
    cast({{ rank_in_force('year', 'points / nullif(covered_max_points, 0)') }} as integer) as rank_in_level,
    cast(as_of as timestamp) as as_of,
    cast(par_3_ontime_points as double) as par_3_ontime_points,
    cast(par_3_apology_points as double) as par_3_apology_points,
    cast(par_3_online_payment_points as double) as par_3_online_payment_points,
    cast(par_3_online_dossiers_points as double) as par_3_online_dossiers_points,
    cast(par_3_digitisation_points as double) as par_3_digitisation_points,
    cast(par_3_components_attached_points as double) as par_3_components_attached_points,
    cast(par_3_backdated_points as double) as par_3_backdated_points,
    cast(par_3_expired_listed_points as double) as par_3_expired_listed_points,
    cast(par_7_e_documents_points as double) as par_7_e_documents_points,
    cast(par_7_national_axis_points as double) as par_7_national_axis_points,
    cast(par_7_work_files_online_points as double) as par_7_work_files_online_points,
    cast(par_1_tasks_on_time_points as double) as par_1_tasks_on_time_points,
    cast(par_6_disbursement_points as double) as par_6_disbursement_points,
    cast(par_8_enterprise_revenue_share_points as double) as par_8_enterprise_revenue_share_points,
    cast(par_8_revenue_vs_estimate_points as double) as par_8_revenue_vs_estimate_points,
    cast(par_8_new_enterprises_points as double) as par_8_new_enterprises_points,
    cast(is_unit_in_force as boolean) as is_unit_in_force
from flagged

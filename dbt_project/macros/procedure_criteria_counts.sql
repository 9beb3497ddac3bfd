{#- The procedure-based criteria (int_criteria__procedure_counts, whose header explains them), per
    historic unit — or, with `restated`, per unit as restated across the 2025 reorganisation
    (int_unit_restatement): a merged commune counts the distinct procedures of all its predecessors
    together, never the sum of their counts. -#}
{% macro procedure_criteria_counts(restated=false) -%}
with

periods as (
    select * from {{ ref('int_periods') }}
),

pools as (
    {%- if restated %}
    select distinct
        pools.period_grain,
        pools.period_start,
        coalesce(restatement.restated_unit_code, pools.unit_code) as unit_code,
        pools.is_province_rollup
    from {{ ref('int_dossier_period_counts') }} as pools
    left join {{ ref('int_unit_restatement') }} as restatement on pools.unit_code = restatement.unit_code
    {%- else %}
    select * from {{ ref('int_dossier_period_counts') }}
    {%- endif %}
),

procedure_months as (
    {%- if restated %}
    select
        procedure_months.* replace (
            coalesce(restatement.restated_unit_code, procedure_months.unit_code) as unit_code
        )
    from {{ ref('int_unit_procedure_months') }} as procedure_months
    left join {{ ref('int_unit_restatement') }} as restatement on procedure_months.unit_code = restatement.unit_code
    {%- else %}
    select * from {{ ref('int_unit_procedure_months') }}
    {%- endif %}
),

calendar as (
    select * from {{ ref('int_working_days') }}
),

catalogue_at_period_end as (
    select
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        catalogue.*,
        -- In force on the period's last day; expired means ngay_het_hieu_luc before the day in question.
        coalesce(
            catalogue.effective_from <= periods.period_end
            and (catalogue.effective_to is null or catalogue.effective_to >= periods.period_end),
            false
        ) as is_in_force
    from periods
    inner join {{ ref('int_procedure_catalogue_as_of') }} as catalogue
        on
            date_trunc('month', periods.period_end) >= catalogue.applies_from_month
            and date_trunc('month', periods.period_end) < catalogue.applies_to_month
),

pool as (
    select distinct
        period_grain,
        period_start,
        unit_code,
        false as is_province_rollup
    from pools
    where not is_province_rollup
    union all
    select
        period_grain,
        period_start,
        null as unit_code,
        true as is_province_rollup
    from periods
),

procedure_months_in_periods as (
    -- Each month's row under the month, the quarter and the year it belongs to.
    select
        period_key.period_grain,
        period_key.period_start,
        procedure_months.*
    from procedure_months
    cross join unnest([
        { 'period_grain': 'month', 'period_start': procedure_months.month_start },
        { 'period_grain': 'quarter', 'period_start': cast(date_trunc('quarter', procedure_months.month_start) as date) },
        { 'period_grain': 'year', 'period_start': cast(date_trunc('year', procedure_months.month_start) as date) }
    ]) as period_keys (period_key)
),

received_procedures as (
    -- What each unit (and the province as a whole) did with each procedure in the period: its months'
    -- receipts before their T tile the period's receipts before the period's T.
    select
        period_grain,
        period_start,
        unit_code,
        grouping(unit_code) = 1 as is_province_rollup,
        procedure_code,
        bool_or(any_online) as any_online,
        bool_or(any_fee_list) as any_fee_list,
        bool_or(any_paid_online) as any_paid_online,
        bool_or(any_citizen) as any_citizen,
        bool_or(any_citizen_vneid) as any_citizen_vneid
    from procedure_months_in_periods
    where any_received_before_t
    group by grouping sets (
        (period_grain, period_start, unit_code, procedure_code), (period_grain, period_start, procedure_code)
    )
),

received_counts as (
    select
        received_procedures.period_grain,
        received_procedures.period_start,
        received_procedures.unit_code,
        received_procedures.is_province_rollup,
        count(*) filter (where catalogue.online_service_level != 'khong') as online_procedures,
        count(*) filter (
            where catalogue.online_service_level != 'khong' and received_procedures.any_online
        ) as online_procedures_used,
        count(*) filter (where catalogue.is_fee_bearing) as fee_procedures,
        count(*) filter (where catalogue.is_fee_bearing and received_procedures.any_fee_list)
            as fee_procedures_with_fees,
        count(*) filter (
            where catalogue.is_fee_bearing and received_procedures.any_paid_online
        ) as fee_procedures_paid_online,
        count(*) filter (where received_procedures.any_citizen) as citizen_procedures,
        count(*) filter (where received_procedures.any_citizen_vneid) as citizen_procedures_vneid
    from received_procedures
    inner join catalogue_at_period_end as catalogue
        on
            received_procedures.period_grain = catalogue.period_grain
            and received_procedures.period_start = catalogue.period_start
            and received_procedures.procedure_code = catalogue.procedure_code
    group by all
),

handled_months as (
    -- Which procedures each unit received dossiers for, by month (small: units × procedures × months).
    select
        unit_code,
        procedure_code,
        month_start as received_month
    from procedure_months
),

handled_procedures as (
    -- 766.3.1 for a unit: in-force procedures with a dossier received in the 12 months up to period end.
    select distinct
        periods.period_grain,
        periods.period_start,
        handled_months.unit_code,
        handled_months.procedure_code
    from periods
    inner join handled_months
        on
            handled_months.received_month >= cast(periods.period_end + interval 1 day - interval 12 month as date)
            and periods.period_end >= handled_months.received_month
),

offered_counts as (
    select
        handled_procedures.period_grain,
        handled_procedures.period_start,
        handled_procedures.unit_code,
        false as is_province_rollup,
        count(*) as in_force_handled,
        count(*) filter (where catalogue.online_service_level != 'khong') as in_force_handled_online
    from handled_procedures
    inner join catalogue_at_period_end as catalogue
        on
            handled_procedures.period_grain = catalogue.period_grain
            and handled_procedures.period_start = catalogue.period_start
            and handled_procedures.procedure_code = catalogue.procedure_code
    where catalogue.is_in_force
    group by all

    union all

    -- For the province: every in-force procedure.
    select
        period_grain,
        period_start,
        null as unit_code,
        true as is_province_rollup,
        count(*) filter (where is_in_force) as in_force_handled,
        count(*) filter (where is_in_force and online_service_level != 'khong') as in_force_handled_online
    from catalogue_at_period_end
    group by all
),

catalogue_counts as (
    -- 766.1.1–766.1.3, province only.
    select
        catalogue.period_grain,
        catalogue.period_start,
        count(*) filter (
            where catalogue.published_decision_on between catalogue.period_start and catalogue.period_end
        ) as decided_in_period,
        -- Published on time: decision dated on or before the working day 5 working days before the
        -- legal effective date.
        count(*) filter (
            where
            catalogue.published_decision_on between catalogue.period_start and catalogue.period_end
            and catalogue.published_decision_on <= effective_minus_5.calendar_date
        ) as decided_on_time,
        -- Made public on the national database within 5 working days of the decision.
        count(*) filter (
            where
            catalogue.published_decision_on between catalogue.period_start and catalogue.period_end
            and catalogue.made_public_on <= decision_plus_5.calendar_date
        ) as made_public_on_time,
        count(*) filter (where catalogue.is_in_force) as in_force,
        count(*) filter (where catalogue.is_in_force and catalogue.has_all_parts) as in_force_complete
    from catalogue_at_period_end as catalogue
    left join calendar as effective_day on catalogue.effective_from = effective_day.calendar_date
    left join calendar as effective_minus_5
        on
            effective_minus_5.is_working_day
            and effective_minus_5.working_day_index
            = effective_day.working_day_index - 5 + case when effective_day.is_working_day then 0 else 1 end
    left join calendar as decision_day on catalogue.published_decision_on = decision_day.calendar_date
    left join calendar as decision_plus_5
        on
            decision_plus_5.is_working_day
            and decision_plus_5.working_day_index = decision_day.working_day_index + 5
    group by all
),

combined as (
    select
        pool.period_grain,
        pool.period_start,
        pool.unit_code,
        pool.is_province_rollup,
        [
            {
                'code': '766.3.1',
                'numerator': coalesce(offered_counts.in_force_handled_online, 0),
                'denominator': coalesce(offered_counts.in_force_handled, 0),
                'province_rollup': 'distinct_procedures'
            },
            {
                'code': '766.3.2',
                'numerator': coalesce(received_counts.online_procedures_used, 0),
                'denominator': coalesce(received_counts.online_procedures, 0),
                'province_rollup': 'distinct_procedures'
            },
            {
                'code': '766.4.1',
                'numerator': coalesce(received_counts.fee_procedures_with_fees, 0),
                'denominator': coalesce(received_counts.fee_procedures, 0),
                'province_rollup': 'distinct_procedures'
            },
            {
                'code': '766.4.2',
                'numerator': coalesce(received_counts.fee_procedures_paid_online, 0),
                'denominator': coalesce(received_counts.fee_procedures, 0),
                'province_rollup': 'distinct_procedures'
            },
            {
                'code': '766.5.6',
                'numerator': coalesce(received_counts.citizen_procedures_vneid, 0),
                'denominator': coalesce(received_counts.citizen_procedures, 0),
                'province_rollup': 'distinct_procedures'
            }
        ] as unit_criteria,
        case
            when pool.is_province_rollup and catalogue_counts.period_grain is not null
                then [
                        {
                            'code': '766.1.1',
                            'numerator': catalogue_counts.decided_on_time,
                            'denominator': catalogue_counts.decided_in_period,
                            'province_rollup': 'province_only'
                        },
                        {
                            'code': '766.1.2',
                            'numerator': catalogue_counts.made_public_on_time,
                            'denominator': catalogue_counts.decided_in_period,
                            'province_rollup': 'province_only'
                        },
                        {
                            'code': '766.1.3',
                            'numerator': catalogue_counts.in_force_complete,
                            'denominator': catalogue_counts.in_force,
                            'province_rollup': 'province_only'
                        }
                    ]
            else []
        end as catalogue_criteria,
        -- The province row of the dossier-based criteria needs a dossier in the pool somewhere.
        pool.is_province_rollup and not exists (
            select 1
            from pools
            where
                pools.is_province_rollup
                and pools.period_grain = pool.period_grain
                and pools.period_start = pool.period_start
        ) as is_province_without_dossiers
    from pool
    left join received_counts
        on
            pool.period_grain = received_counts.period_grain
            and pool.period_start = received_counts.period_start
            and pool.unit_code is not distinct from received_counts.unit_code
            and pool.is_province_rollup = received_counts.is_province_rollup
    left join offered_counts
        on
            pool.period_grain = offered_counts.period_grain
            and pool.period_start = offered_counts.period_start
            and pool.unit_code is not distinct from offered_counts.unit_code
            and pool.is_province_rollup = offered_counts.is_province_rollup
    left join catalogue_counts
        on
            pool.is_province_rollup
            and pool.period_grain = catalogue_counts.period_grain
            and pool.period_start = catalogue_counts.period_start
),

criteria as (
    select
        period_grain,
        period_start,
        unit_code,
        is_province_rollup,
        unnest(
            list_concat(case when is_province_without_dossiers then [] else unit_criteria end, catalogue_criteria)
        ) as criterion
    from combined
)

{{ criterion_rows('criteria', province_rollup='criterion.province_rollup') }}
{%- endmacro %}

-- Year-end forecast for the year containing as_of (METRICS.md §8), per unit and count-based 766 rate
-- criterion (the ones with monthly volumes): projected denominator = YTD + Σ over the remaining months
-- of last year's monthly denominator × growth, growth = this year's YTD denominator / last year's
-- denominator over the same months (1 when last year had none); projected numerator = YTD + that
-- projected remaining volume × the unit's trailing-3-month rate (the last three closed months; the YTD
-- rate when they are empty). Points through the same scoring rule as the year. `method` names the
-- method and carries its inputs. Grain: one row per (year, unit_code, criterion_code).
with

scores as (
    select * from {{ ref('criteria_scores') }}
    where criterion_code in (
            '766.1.4', '766.2.1', '766.3.3', '766.4.3', '766.5.1', '766.5.2', '766.5.4', '766.5.5', '766.5.7', '766.6.3'
        )
),

current_year as (
    select
        period_start,
        period_end,
        cast(date_trunc('month', as_of) as date) as current_month
    from {{ ref('int_periods') }}
    where period_grain = 'year' and not is_period_closed
),

ytd as (
    select scores.*
    from scores
    inner join current_year on scores.period_grain = 'year' and scores.period_start = current_year.period_start
),

months as (
    select
        scores.unit_code,
        scores.criterion_code,
        scores.period_start,
        scores.numerator,
        scores.denominator
    from scores
    where scores.period_grain = 'month'
),

inputs as (
    select
        ytd.unit_code,
        ytd.unit_level,
        ytd.criterion_code,
        ytd.period_end,
        ytd.numerator as ytd_numerator,
        ytd.denominator as ytd_denominator,
        ytd.rate as ytd_rate,
        coalesce(sum(months.denominator) filter (
            where
            months.period_start > cast(current_year.current_month - interval 1 year as date)
            and months.period_start < cast(current_year.period_end - interval 1 year as date)
        ), 0) as last_year_remaining_denominator,
        coalesce(sum(months.denominator) filter (
            where
            months.period_start >= cast(current_year.period_start - interval 1 year as date)
            and months.period_start <= cast(current_year.current_month - interval 1 year as date)
        ), 0) as last_year_same_period_denominator,
        sum(months.numerator) filter (
            where
            months.period_start >= cast(current_year.current_month - interval 3 month as date)
            and months.period_start < current_year.current_month
        ) as trailing_numerator,
        sum(months.denominator) filter (
            where
            months.period_start >= cast(current_year.current_month - interval 3 month as date)
            and months.period_start < current_year.current_month
        ) as trailing_denominator
    from ytd
    cross join current_year
    left join months on ytd.unit_code = months.unit_code and ytd.criterion_code = months.criterion_code
    group by all
),

projected as (
    select
        *,
        coalesce(ytd_denominator / nullif(last_year_same_period_denominator, 0), 1.0) as growth,
        coalesce(trailing_numerator / nullif(trailing_denominator, 0), ytd_rate, 0.0) as trailing_rate
    from inputs
),

projected_totals as (
    select
        *,
        ytd_denominator + last_year_remaining_denominator * growth as projected_denominator,
        ytd_numerator + last_year_remaining_denominator * growth * trailing_rate as projected_numerator
    from projected
)

select
    cast(year(projected_totals.period_end) as integer) as year,
    cast(projected_totals.unit_code as varchar) as unit_code,
    cast(projected_totals.criterion_code as varchar) as criterion_code,
    cast(projected_totals.ytd_numerator as double) as ytd_numerator,
    cast(projected_totals.ytd_denominator as double) as ytd_denominator,
    cast(projected_totals.ytd_rate as double) as ytd_rate,
    cast(projected_totals.projected_numerator as double) as projected_numerator,
    cast(projected_totals.projected_denominator as double) as projected_denominator,
    cast(
        projected_totals.projected_numerator / nullif(projected_totals.projected_denominator, 0) as double
    ) as projected_rate,
    cast(
        {{ score_points(
            'scoring_rule',
            'projected_totals.projected_numerator / nullif(projected_totals.projected_denominator, 0)',
            'projected_totals.projected_numerator',
            'projected_totals.projected_denominator'
        ) }} as double
    ) as projected_points,
    cast(scoring_rule.max_points as double) as max_points,
    cast(
        'ytd + last_year_monthly x growth at trailing_3m_rate; last_year_remaining='
        || round(projected_totals.last_year_remaining_denominator, 4)
        || ', growth=' || round(projected_totals.growth, 4)
        || ', trailing_3m_rate=' || round(projected_totals.trailing_rate, 4) as varchar
    ) as method
from projected_totals
inner join {{ ref('int_scoring_rules') }} as scoring_rule
    on
        projected_totals.criterion_code = scoring_rule.criterion_code
        and {{ scoring_rule_applies('scoring_rule', 'projected_totals.period_end', 'projected_totals.unit_level') }}

-- PAR.7.* (documents and work files) and PAR.1.tasks_on_time per unit and year, plus the province
-- roll-up via grouping sets (METRICS.md §6). Soft-deleted rows never reach staging. A document belongs to
-- the year of its issue date, a work file to the year it closed; a task is due in the year when its
-- deadline falls in the year before T (for the running year: deadlines before as_of's date, so a task
-- that can still be finished on time is not counted yet). Row existence (§3): PAR.7.* when the unit
-- issued a document or closed a work file in the year; PAR.1 when it had a task due.
-- Grain: one row per (period_grain, period_start, unit_code, is_province_rollup, criterion_code).
{{ config(materialized='view') }}  -- small, read once per build: no table to write
with

years as (
    select * from {{ ref('int_periods') }}
    where period_grain = 'year'
),

records as (
    select
        years.period_grain,
        years.period_start,
        documents.unit_code,
        'document' as record_type,
        documents.secrecy = 'thuong' as is_non_secret,
        coalesce(documents.issued_electronically, false) as issued_electronically,
        coalesce(documents.digitally_signed, false) as digitally_signed,
        coalesce(documents.via_national_axis, false) as via_national_axis,
        documents.external_recipients > 0 as has_external_recipients,
        null as handled_online,
        null as completed_on_time
    from {{ ref('int_outgoing_documents') }} as documents
    inner join years on documents.issued_on between years.period_start and years.period_end

    union all

    select
        years.period_grain,
        years.period_start,
        work_files.unit_code,
        'work_file' as record_type,
        null as is_non_secret,
        null as issued_electronically,
        null as digitally_signed,
        null as via_national_axis,
        null as has_external_recipients,
        coalesce(work_files.handled_online, false) as handled_online,
        null as completed_on_time
    from {{ ref('int_work_files') }} as work_files
    inner join years on work_files.closed_on between years.period_start and years.period_end

    union all

    select
        years.period_grain,
        years.period_start,
        assigned_tasks.unit_code,
        'task' as record_type,
        null as is_non_secret,
        null as issued_electronically,
        null as digitally_signed,
        null as via_national_axis,
        null as has_external_recipients,
        null as handled_online,
        -- Dates win over trang_thai.
        coalesce(assigned_tasks.completed_on <= assigned_tasks.due_on, false) as completed_on_time
    from {{ ref('int_assigned_tasks') }} as assigned_tasks
    inner join years
        on
            assigned_tasks.due_on >= years.period_start
            and assigned_tasks.due_on <= years.period_end
            and assigned_tasks.due_on < cast(years.evaluated_at as date)
),

counted as (
    select
        period_grain,
        period_start,
        unit_code,
        grouping(unit_code) = 1 as is_province_rollup,
        count(*) filter (where record_type in ('document', 'work_file')) as document_pool,
        count(*) filter (where record_type = 'document' and is_non_secret) as non_secret,
        count(*) filter (
            where record_type = 'document' and is_non_secret and issued_electronically and digitally_signed
        ) as non_secret_e_signed,
        count(*) filter (
            where record_type = 'document' and is_non_secret and issued_electronically and has_external_recipients
        ) as non_secret_external,
        count(*) filter (
            where
            record_type = 'document' and is_non_secret and issued_electronically and has_external_recipients
            and via_national_axis
        ) as non_secret_external_axis,
        count(*) filter (where record_type = 'work_file') as work_files_closed,
        count(*) filter (where record_type = 'work_file' and handled_online) as work_files_online,
        count(*) filter (where record_type = 'task') as tasks_due,
        count(*) filter (where record_type = 'task' and completed_on_time) as tasks_on_time
    from records
    group by grouping sets ((period_grain, period_start, unit_code), (period_grain, period_start))
),

criteria as (
    select
        period_grain,
        period_start,
        unit_code,
        is_province_rollup,
        unnest(
            list_concat(
                case
                    when document_pool > 0
                        then [
                                {
                                    'code': 'PAR.7.e_documents',
                                    'numerator': non_secret_e_signed,
                                    'denominator': non_secret
                                },
                                {
                                    'code': 'PAR.7.national_axis',
                                    'numerator': non_secret_external_axis,
                                    'denominator': non_secret_external
                                },
                                {
                                    'code': 'PAR.7.work_files_online',
                                    'numerator': work_files_online,
                                    'denominator': work_files_closed
                                }
                            ]
                    else []
                end,
                case
                    when tasks_due > 0
                        then [{ 'code': 'PAR.1.tasks_on_time', 'numerator': tasks_on_time, 'denominator': tasks_due }]
                    else []
                end
            )
        ) as criterion
    from counted
)

{{ criterion_rows('criteria') }}

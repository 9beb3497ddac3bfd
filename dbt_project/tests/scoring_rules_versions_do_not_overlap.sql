-- A period is scored by the one rule version valid at its end date (METRICS.md §4): two versions of a
-- criterion for the same unit level (or for every level) must not be valid on the same day.
select
    a.criterion_code,
    a.unit_level,
    a.rule_version,
    b.rule_version as overlapping_version
from {{ ref('int_scoring_rules') }} as a
inner join {{ ref('int_scoring_rules') }} as b
    on
        a.criterion_code = b.criterion_code
        and (a.unit_level is not distinct from b.unit_level or a.unit_level is null or b.unit_level is null)
        and a.rule_version < b.rule_version
        and a.valid_from <= coalesce(b.valid_to, cast('9999-12-31' as date))
        and b.valid_from <= coalesce(a.valid_to, cast('9999-12-31' as date))

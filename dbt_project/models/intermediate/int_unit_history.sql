-- Administrative units with their validity and successors (SOURCES.md §4): the newest snapshot is
-- authoritative because each unit carries its own dates. `final_successor_unit_code` follows merger
-- chains (a commune merged twice) so commune history can be shown restated to today's unit; history is
-- always attributed to the historic unit everywhere else.
with recursive

units as (
    select * from {{ ref('int_units') }}
),

chain (unit_code, successor_unit_code, chain_depth) as (
    select
        unit_code,
        successor_unit_code,
        0 as chain_depth
    from units
    where successor_unit_code is not null

    union all

    select
        chain.unit_code,
        next_unit.successor_unit_code,
        chain.chain_depth + 1 as chain_depth
    from chain
    inner join units as next_unit on chain.successor_unit_code = next_unit.unit_code
    where next_unit.successor_unit_code is not null and chain.chain_depth < 10
),

final_successor as (
    select
        unit_code,
        successor_unit_code as final_successor_unit_code
    from chain
    qualify row_number() over (partition by unit_code order by chain_depth desc) = 1
),

province as (
    -- The province continues under one code; prefer the row still in force.
    select unit_code as province_unit_code
    from units
    where unit_level = 'province'
    qualify row_number() over (order by valid_to desc nulls first, unit_code asc) = 1
)

select
    units.unit_code,
    units.unit_name,
    units.unit_level,
    units.parent_unit_code,
    units.valid_from,
    units.valid_to,
    units.successor_unit_code,
    final_successor.final_successor_unit_code,
    units.unit_code = province.province_unit_code as is_the_province,
    province.province_unit_code
from units
cross join province
left join final_successor on units.unit_code = final_successor.unit_code

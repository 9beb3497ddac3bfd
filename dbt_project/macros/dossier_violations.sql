{#- The post-hook of dossier_violations after an incremental merge: the rows it kept get the new as_of
    (when as_of moved) and the unit names of the newest units snapshot (when a units batch landed, was
    replaced or removed). Two column updates instead of rewriting millions of rows; nothing when neither
    moved. After a build that wrote the whole table every row is current already. -#}
{% macro dossier_violations_refresh_kept_rows() -%}
    {%- if execute and not refresh_everything() -%}
        {%- set as_of_moved = run_query(
            'select count(*) from ' ~ ref('int_as_of') ~ ' where as_of is distinct from previous_as_of'
        ).columns[0].values()[0] > 0 -%}
        {%- set units_landed = run_query(
            'select count(*) from ' ~ ref('int_landing_batches')
            ~ " where source_name = 'reference' and dataset = 'don_vi' and change != 'unchanged'"
        ).columns[0].values()[0] > 0 -%}
        {%- if as_of_moved %}
        update {{ this }} set as_of = (select as_of from {{ ref('int_as_of') }})
        where as_of is distinct from (select as_of from {{ ref('int_as_of') }});
        {%- endif %}
        {%- if units_landed %}
        update {{ this }} as violations set unit_name = units.unit_name
        from {{ ref('int_unit_history') }} as units
        where violations.unit_code = units.unit_code and violations.unit_name is distinct from units.unit_name;
        update {{ this }} set unit_name = null
        where unit_name is not null and unit_code not in (
            select units.unit_code from {{ ref('int_unit_history') }} as units where units.unit_code is not null
        );
        {%- endif %}
    {%- endif -%}
{%- endmacro %}

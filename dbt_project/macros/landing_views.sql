-- sqlfluff:exclude_rules:LT02
{#- (Jinja control flow inside these macro bodies puts SQL where sqlfluff cannot judge its indentation.) -#}
{#- The landing zone as dbt sources (models/staging/_landing__sources.yml, generated from the dataset
    catalogue). Each source table resolves to a view in the build file's `landing` schema, which this
    hook (re)creates at the start of every dbt invocation (`on-run-start` in dbt_project.yml):
    - over the committed batches only: the glob matches `batch=*` directories, never the hidden
      `.batch=<id>.tmp-…` sibling a writer fills before its commit;
    - typed and empty, from the columns the sources file declares, while a dataset has nothing committed:
      read_parquet over a glob that matches nothing is an error, and a first build (or a test) must work
      before anything has landed.
    Whether files exist is decided when dbt runs, not when it parses: a source's `external_location`
    (dbt-duckdb) is a fixed string, so it cannot fall back to an empty relation. Every Parquet row carries
    `filename` and `file_row_number`, from which staging derives its lineage (latest_version.sql). Only
    staging models read these views (tests/dbt/test_layers.py). -#}
{% macro create_landing_views() -%}
    {%- if execute -%}
        {%- set data_dir = env_var('PARMETRICS_DATA_DIR') -%}
        {%- set landing_sources = graph.sources.values() | selectattr('package_name', 'equalto', project_name)
            | selectattr('meta.landing_path', 'defined') | sort(attribute='unique_id') -%}
        {%- set schemas = landing_sources | map(attribute='schema') | unique | list -%}
        {%- for schema in schemas %}
            {%- do run_query('create schema if not exists "' ~ target.database ~ '"."' ~ schema ~ '"') -%}
        {%- endfor %}
        {%- for node in landing_sources %}
            {%- do run_query(
                'create or replace view "' ~ target.database ~ '"."' ~ node.schema ~ '"."' ~ node.identifier
                ~ '" as ' ~ landing_select(node, data_dir)
            ) -%}
        {%- endfor %}
    {%- endif -%}
    select 1
{%- endmacro %}


{#- The view's query for one landing source table (a source node of the graph), decided when dbt runs
    (at parse time there is no database to ask: a stand-in keeps the rendered SQL valid). -#}
{% macro landing_select(node, data_dir) -%}
    {%- if not execute %}{{ return('select 1') }}{% endif -%}
    {%- set pattern = (data_dir ~ '/' ~ node.meta.landing_path ~ '/' ~ node.meta.batches) | replace("'", "''") -%}
    {%- set found = run_query("select count(*) from glob('" ~ pattern ~ "')").columns[0].values()[0] -%}
    {%- if found == 0 -%}
        select
        {%- for column in node.columns.values() %}
            cast(null as {{ column.data_type }}) as "{{ column.name }}"{{ "," if not loop.last }}
        {%- endfor %}
        where false
    {%- elif node.meta.format == 'text' -%}
        select filename, content from read_text('{{ pattern }}')
    {%- else -%}
        select * from read_parquet(
            '{{ pattern }}',
            union_by_name = true, hive_partitioning = false, filename = true, file_row_number = true
        )
    {%- endif -%}
{%- endmacro %}


{#- The ids (`batch=<id>`) of a dataset's batches whose change since the last completed build is one of
    `changes` (int_landing_batches: new, replaced, removed, unchanged), read when the model runs. -#}
{% macro landing_batch_ids(source_name, dataset, changes=('new', 'replaced')) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set query -%}
        select batch_id from {{ ref('int_landing_batches') }}
        where source_name = '{{ source_name }}' and dataset = '{{ dataset }}'
            and change in ('{{ changes | join("', '") }}')
        order by batch_id
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}


{#- SQL true for a staged row read from one of `batch_ids` (its `source_batch`). A list of constants, so
    DuckDB skips every other batch's files by their names without opening them. -#}
{% macro in_landing_batches(batch_ids, source_batch='source_batch') -%}
    {%- if batch_ids | length == 0 -%}
        false
    {%- else -%}
        {{ source_batch }} in ('{{ batch_ids | join("', '") }}')
    {%- endif -%}
{%- endmacro %}

{#- The columns of a landing dataset with their types, as declared in the dataset catalogue
    (include/parmetrics/catalogue/datasets.py) and generated into models/staging/_landing__sources.yml
    (`python -m parmetrics.catalogue --write`; a test fails while that file is stale). Read from the
    graph's sources, so there is no second copy to keep in step. Used to give an empty landing a typed,
    empty relation: read_parquet over a glob that matches nothing is an error, and a first build (or a
    test) must work before anything has landed. At parse time (and under sqlfluff) there is no graph
    to read: the columns are only needed when the model runs, and a one-column stand-in keeps the
    rendered SQL valid until then. -#}
{% macro landing_columns(source_name, dataset) -%}
    {%- set columns = [] -%}
    {%- if graph is defined -%}
        {%- for node in graph.sources.values() if node.source_name == source_name and node.name == dataset -%}
            {%- for column in node.columns.values() -%}
                {%- do columns.append((column.name, column.data_type)) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if columns | length == 0 -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error(
                'Unknown landing dataset ' ~ source_name ~ '.' ~ dataset
                ~ ': not in models/staging/_landing__sources.yml'
            ) }}
        {%- endif -%}
        {%- do columns.append(('_not_yet_read', 'varchar')) -%}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}


{% macro landing_dataset_dir(source_name, dataset) -%}
    {{ return(env_var('PARMETRICS_DATA_DIR') ~ '/landing/' ~ source_name ~ '/' ~ dataset) }}
{%- endmacro %}


{#- The committed batches of one landing dataset, as a relation. Only `batch=*` directories are read:
    a batch being written lives in a hidden `.batch=<id>.tmp-…` sibling that this glob never matches.
    The glob is checked when the model runs (not at parse time), so an empty dataset yields a typed,
    empty relation instead of a read_parquet error. With `lineage`, each row also carries `filename`
    (the part file it came from) and `file_row_number` (its row in that file). -#}
{% macro landing_relation(source_name, dataset, lineage=false) -%}
    {%- set pattern = landing_dataset_dir(source_name, dataset) ~ '/batch=*/*.parquet' -%}
    {%- set has_files = true -%}
    {%- if execute -%}
        {%- set found = run_query("select count(*) from glob('" ~ pattern ~ "')") -%}
        {%- set has_files = found.columns[0].values()[0] > 0 -%}
    {%- endif -%}
    {%- if has_files -%}
        {{ _read_landing("'" ~ pattern ~ "'", lineage) }}
    {%- else -%}
        {{ _empty_landing(source_name, dataset, lineage) }}
    {%- endif -%}
{%- endmacro %}


{#- Only the given batches of a dataset (ids as in `batch=<id>`), e.g. the ones new since the last build
    (int_landing_batches). An empty list gives the typed, empty relation. -#}
{% macro landing_batches_relation(source_name, dataset, batch_ids, lineage=false) -%}
    {%- set dir = landing_dataset_dir(source_name, dataset) -%}
    {#- A window with no change commits a batch with a manifest and no part file: read_parquet over its
        pattern would fail ("No files found"), and it has no rows to read anyway. -#}
    {%- set with_parts = [] -%}
    {%- if execute and batch_ids | length > 0 -%}
        {%- set found = run_query(
            "select distinct regexp_extract(file, '/batch=([^/]+)/[^/]*$', 1) from glob('"
            ~ dir ~ "/batch=*/*.parquet')"
        ).columns[0].values() | list -%}
        {%- for batch_id in batch_ids if batch_id in found -%}
            {%- do with_parts.append(batch_id) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if with_parts | length == 0 -%}
        {{ _empty_landing(source_name, dataset, lineage) }}
    {%- else -%}
        {%- set patterns = [] -%}
        {%- for batch_id in with_parts -%}
            {%- do patterns.append("'" ~ dir ~ "/batch=" ~ batch_id ~ "/*.parquet'") -%}
        {%- endfor -%}
        {{ _read_landing('[' ~ patterns | join(', ') ~ ']', lineage) }}
    {%- endif -%}
{%- endmacro %}


{#- The ids of a dataset's batches whose change since the last completed build is one of `changes`
    (int_landing_batches: new, replaced, removed, unchanged). Read when the model runs. -#}
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


{% macro _read_landing(patterns, lineage) -%}
    {%- set options = 'union_by_name = true, hive_partitioning = false' -%}
    {%- if lineage %}{% set options = options ~ ', filename = true, file_row_number = true' %}{% endif -%}
    read_parquet({{ patterns }}, {{ options }})
{%- endmacro %}


{% macro _empty_landing(source_name, dataset, lineage) -%}
    (
        select
    {%- for name, data_type in landing_columns(source_name, dataset) %}
            cast(null as {{ data_type }}) as "{{ name }}"{{ "," if not loop.last or lineage }}
    {%- endfor %}
    {%- if lineage %}
            cast(null as varchar) as filename,
            cast(null as bigint) as file_row_number
    {%- endif %}
        where false
    )
{%- endmacro %}

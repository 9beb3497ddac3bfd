-- sqlfluff:exclude_rules:LT02
{#- (Jinja branches inside these macro bodies put SQL where sqlfluff cannot judge its indentation.) -#}
{#- Incremental builds (see dbt_project/README.md, "Incremental builds").

    Every incremental model here recomputes a *scope* — the keys this build's new landing touches — from
    the current upstream state and replaces those keys in its table: rows of a key in the scope are
    deleted, the model's rows for the scope are inserted. Recomputing a key from scratch (never adding a
    delta to it) makes a rerun of a half-finished build harmless, and a key whose rows vanished (a
    re-landed batch without a dossier) simply gets none back. The scopes are small tables built earlier
    in the same run (int_dossier_changes, int_dossiers_to_refresh, int_periods_to_refresh); when
    `int_build_context.refresh_all` is set (no usable state from a previous build, a new calendar, new
    code) the scope is everything and the table is replaced as a whole. -#}


{#- The custom strategy `replace_scope` (dbt picks up get_incremental_<name>_sql). Config:
      unique_key    the target's key column(s)
      scope_model   the model listing the keys to replace (its columns named like unique_key, unless
                    scope_key gives SQL expressions over it, one per key column)
      scope_where   optional filter on the scope model's rows
      replace_inserted_keys  also replace every key the model's rows carry (for a model that writes only
                    the keys whose rows changed, and lists in its scope only those that may vanish)
    Also logs how many rows it inserted (int_incremental_log), since dbt-duckdb reports no row counts. -#}
{% macro get_incremental_replace_scope_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set scope_key = config.get('scope_key') or keys -%}
    {%- set scope_key = [scope_key] if scope_key is string else scope_key -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- if refresh_everything() %}
        delete from {{ target }};
    {%- else %}
        delete from {{ target }}
        where ({{ keys | join(', ') }}) in (
            select ({{ scope_key | join(', ') }})
            from {{ ref(config.require('scope_model')) }}
            {%- if config.get('scope_where') %}
            where {{ config.get('scope_where') }}
            {%- endif %}
        )
        {%- if config.get('replace_inserted_keys') %}
        or ({{ keys | join(', ') }}) in (select ({{ keys | join(', ') }}) from {{ source }})
        {%- endif %};
    {%- endif %}
    {%- if not refresh_everything() and not config.get('replace_inserted_keys') %}
    -- Every row written must belong to a key of the scope, or it could duplicate a row kept from before.
    select error('{{ this.identifier }}: rows outside the scope of ' || '{{ config.require("scope_model") }}')
    from {{ source }}
    where ({{ keys | join(', ') }}) not in (
        select ({{ scope_key | join(', ') }}) from {{ ref(config.require('scope_model')) }}
        {%- if config.get('scope_where') %}
        where {{ config.get('scope_where') }}
        {%- endif %}
    )
    limit 1;
    {%- endif %}
    insert into {{ target }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }} from {{ source }};
    {{ incremental_log_insert(source) }}
{%- endmacro %}


{#- One row per incremental merge: which model, in which dbt invocation, how many rows it wrote. The
    pipeline's dbt runner joins it to run_results.json. Lives in the intermediate schema (never
    published; created by int_build_context, before any model could merge). -#}
{% macro incremental_log_create() -%}
    create table if not exists {{ target.database }}.intermediate.int_incremental_log (
        invocation_id varchar, build_seq bigint, model varchar, rows_inserted bigint, logged_at timestamp
    )
{%- endmacro %}


{% macro incremental_log_insert(source, numbered=true) -%}
    insert into {{ target.database }}.intermediate.int_incremental_log
    select
        '{{ invocation_id }}',
        {% if numbered %}(select build_seq from {{ ref('int_build_context') }}){% else %}null{% endif %},
        '{{ this.identifier }}',
        count(*),
        current_timestamp
    from {{ source }};
{%- endmacro %}


{#- A flag of this build's context (int_build_context), read when the model runs; true at parse time. -#}
{% macro refresh_everything() -%}
    {%- if not execute -%}{{ return(true) }}{%- endif -%}
    {%- set result = run_query('select refresh_all from ' ~ ref('int_build_context')) -%}
    {{ return(result.columns[0].values()[0] in (true, 'true', 'True', 1)) }}
{%- endmacro %}


{#- True when the model runs incrementally over a scope (not a first build, a full refresh or a
    replace-everything build). -#}
{% macro is_scoped_increment() -%}
    {{ return(is_incremental() and not refresh_everything()) }}
{%- endmacro %}


{#- The relation of another model as it stands before this build changes it — the previous build's
    state — or none when it does not exist yet. Deliberately not a ref: a model that reads the previous
    state of a model downstream of it would otherwise be a cycle. DAG order guarantees the read happens
    before that model is rebuilt (it refs the reader). -#}
{% macro previous_relation(model_name) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.name == model_name -%}
            {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}


{#- SQL true when dbt runs with --full-refresh. -#}
{% macro is_full_refresh() -%}
    {{ 'true' if (flags is defined and flags.FULL_REFRESH) else 'false' }}
{%- endmacro %}


{#- SQL true when an incremental model of the project has no table yet. -#}
{% macro incremental_tables_missing() -%}
    {%- set missing = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model' and node.config.materialized == 'incremental'
                and previous_relation(node.name) is none -%}
                {%- do missing.append(node.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ 'true' if missing else 'false' }}
{%- endmacro %}


{#- The merge log's relation, or none before the first build that created it. -#}
{% macro incremental_log_relation() -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema='intermediate', identifier='int_incremental_log')) }}
{%- endmacro %}


{#- A fingerprint of the project's SQL and Python: models and macros. A build after a code change
    recomputes everything instead of mixing rows written by two versions of a model. -#}
{% macro code_version() -%}
    {%- set parts = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
            {%- if node.resource_type == 'model' -%}
                {%- do parts.append(node.unique_id ~ ':' ~ node.checksum.checksum) -%}
            {%- endif -%}
        {%- endfor -%}
        {#- The graph holds no macros; the context holds every macro, as a callable that knows its source. -#}
        {%- for name in context.keys() | sort -%}
            {%- set macro = context[name].macro if context[name].macro is defined else none -%}
            {%- if macro is not none and macro.package_name == project_name -%}
                {%- do parts.append(macro.unique_id ~ ':' ~ local_md5(macro.macro_sql)) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(local_md5(parts | join('|'))) }}
{%- endmacro %}


{#- dbt's delete+insert, logged like replace_scope (for int_working_days, which int_build_context reads,
    so its merges carry no build number). -#}
{% macro get_incremental_delete_insert_logged_sql(arg_dict) -%}
    {{ get_incremental_delete_insert_sql(arg_dict) }};
    {{ incremental_log_create() }};
    {{ incremental_log_insert(arg_dict['temp_relation'], numbered=false) }}
{%- endmacro %}


{#- The rows of `relation` (a table) whose `key` (an expression over alias `k`) is among `keys` (a
    query): found by a narrow scan of the key column, then fetched by rowid. A scan that reads every
    column only to keep a few thousand rows of millions is several times slower on a wide table. -#}
{% macro rows_with_keys(relation, key, keys) -%}
    (
        select rows_with_keys_source.*
        from {{ relation }} as rows_with_keys_source
        where rows_with_keys_source.rowid in (
            select k.rowid from {{ relation }} as k
            where {{ key }} in ({{ keys }})
        )
    )
{%- endmacro %}

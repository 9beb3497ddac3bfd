-- sqlfluff:exclude_rules:LT02
{#- (Jinja branches inside this test put SQL where sqlfluff cannot judge its indentation.) -#}
{#- The key of an incremental model (replace_scope) is unique. A build that wrote the whole table checks
    every row. A scoped build deleted the keys of its scope and inserted rows of those keys only (the
    strategy checks it), so the rest of the table is as the last build left it — checked then — and a
    duplicate can only involve a key of the scope: only those are checked (on millions of rows this is
    the difference between a second and a full scan). `scope_key` is the key's expression over the
    scope model (its first column's name by default). -#}
{% test unique_key_merged(model, columns, scope_model, scope_key=none) %}
    -- depends_on: {{ ref('int_build_context') }}
    -- depends_on: {{ ref(scope_model) }}
    select
        {{ columns | join(', ') }},
        count(*) as rows_with_key
    from {{ model }}
    {%- if not refresh_everything() %}
    where {{ columns[0] }} in (select {{ scope_key or columns[0] }} from {{ ref(scope_model) }})
    {%- endif %}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Custom schemas are used as given (`marts`, not `main_marts`): BI tools and the publish step
    address them by these fixed names (MARTS.md). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

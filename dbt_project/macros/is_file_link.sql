{#- A file link that is null, empty or blank is no link (METRICS.md §2). Blank means trim() leaves
    nothing; a link starting with a printable ASCII character cannot be blank, which spares most rows
    the trim. -#}
{% macro is_file_link(link) -%}
    case
        when {{ link }} is null then false
        when left({{ link }}, 1) between '!' and '~' then true
        else trim({{ link }}) != ''
    end
{%- endmacro %}

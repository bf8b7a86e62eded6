{#- Replace every match of a regular expression (PostgreSQL and DuckDB replace the first match only
    without the 'g' flag; Spark always replaces all and takes no flag). Patterns avoid quotes and
    backslashes, which Spark's string literals treat differently: write a quote as chr(39). -#}
{% macro regexp_replace_all(expression, pattern_sql, replacement_sql) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'saas_warehouse')(expression, pattern_sql, replacement_sql)) }}
{%- endmacro %}
{% macro default__regexp_replace_all(expression, pattern_sql, replacement_sql) -%}
    regexp_replace({{ expression }}, {{ pattern_sql }}, {{ replacement_sql }}, 'g')
{%- endmacro %}
{% macro spark__regexp_replace_all(expression, pattern_sql, replacement_sql) -%}
    regexp_replace({{ expression }}, {{ pattern_sql }}, {{ replacement_sql }})
{%- endmacro %}


{#- The kind of a rejection reason: its quoted values and its numbers masked, so that reasons differing
    only in the value they quote count together ("unknown plan_id '…'"); the name of the standard
    "ISO 8601" is put back. -#}
{% macro reason_kind(reason) -%}
    replace(
        {{ regexp_replace_all(
            regexp_replace_all(reason, "chr(39) || '[^' || chr(39) || ']*' || chr(39)", "chr(39) || '…' || chr(39)"),
            "'[-+]?[0-9][0-9.:T-]*'",
            "'#'"
        ) }},
        'ISO #', 'ISO 8601'
    )
{%- endmacro %}

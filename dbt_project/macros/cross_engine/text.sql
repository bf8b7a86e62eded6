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


{#- The text of one key of a JSON object held as text (Stripe's metadata); null when the text is not a
    JSON object or lacks the key (an unparsable metadata is no error, docs/adapters.md §2.2 rule 7). -#}
{% macro json_text(expression, key) -%}
    {{ return(adapter.dispatch('json_text', 'saas_warehouse')(expression, key)) }}
{%- endmacro %}
{% macro duckdb__json_text(expression, key) -%}
    case
        when json_type(try_cast({{ expression }} as json)) = 'OBJECT'
            then nullif(trim(json_extract_string(try_cast({{ expression }} as json), '$.{{ key }}')), '')
    end
{%- endmacro %}
{#- PostgreSQL 15 has no safe JSON test (IS JSON is 16+): text that looks like one object is read; a
    malformed one then fails the build instead of reading as no keys. -#}
{% macro default__json_text(expression, key) -%}
    case
        when {{ expression }} ~ '^[[:space:]]*[{].*[}][[:space:]]*$'
            then nullif(trim(cast({{ expression }} as jsonb) ->> '{{ key }}'), '')
    end
{%- endmacro %}
{#- Spark: get_json_object reads null from malformed text and from a value that is not an object. -#}
{% macro spark__json_text(expression, key) -%}
    nullif(trim(get_json_object({{ expression }}, '$.{{ key }}')), '')
{%- endmacro %}


{#- A UTC timestamp as the contract's text: ISO 8601 with microseconds and Z; compact: YYYYMMDDTHHMMSSZ
    (event ids, docs/adapters.md §2.5 step 8). -#}
{% macro timestamp_text(expression, compact=false) -%}
    {{ return(adapter.dispatch('timestamp_text', 'saas_warehouse')(expression, compact)) }}
{%- endmacro %}
{% macro duckdb__timestamp_text(expression, compact=false) -%}
    strftime({{ expression }}, '{{ "%Y%m%dT%H%M%SZ" if compact else "%Y-%m-%dT%H:%M:%S.%fZ" }}')
{%- endmacro %}
{% macro default__timestamp_text(expression, compact=false) -%}
    to_char({{ expression }}, '{{ "YYYYMMDD\"T\"HH24MISS\"Z\"" if compact else "YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"" }}')
{%- endmacro %}
{% macro spark__timestamp_text(expression, compact=false) -%}
    date_format({{ expression }}, "{{ "yyyyMMdd'T'HHmmss'Z'" if compact else "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'" }}")
{%- endmacro %}

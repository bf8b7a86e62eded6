{#- Typing raw text: every parser returns null for a value it cannot read, so staging can flag the row.

    What is readable is defined once, by the var raw_value_grammar in dbt_project.yml (patterns, the
    integer range, boolean words and the type of every raw column), which the pandas reference
    implementation reads too. A value is trimmed, must match the whole pattern, and only then is converted
    by the engine (DuckDB reads '1.5' as the integer 2 and 'infinity' as a date, PostgreSQL raises an
    error on '2024-02-30'). Patterns avoid backslashes (Spark's SQL literals treat them as escapes).
    DECISIONS.md D-27. -#}

{% macro raw_value_grammar() -%}
    {{ return(var('raw_value_grammar')) }}
{%- endmacro %}
{% macro integer_pattern() -%} {{ raw_value_grammar()['patterns']['integer'] }} {%- endmacro %}
{% macro decimal_pattern() -%} {{ raw_value_grammar()['patterns']['decimal'] }} {%- endmacro %}
{#- Years 0001-9999, months 01-12, days 01-31 (the day within its month is checked by the engine). -#}
{% macro date_pattern() -%} {{ raw_value_grammar()['patterns']['date'] }} {%- endmacro %}
{#- ISO 8601: a date, or a date and a time to the minute, second or microsecond, with an optional offset
    (Z, ±hh, ±hhmm or ±hh:mm, at most 14 hours) after at most one space. -#}
{% macro timestamp_pattern() -%} {{ raw_value_grammar()['patterns']['timestamp'] }} {%- endmacro %}


{#- The declared type of a raw column (raw_value_grammar.column_types): integer, decimal(p, s), date,
    timestamp, boolean, currency, country or code. -#}
{% macro raw_column_type(table_name, column_name) -%}
    {%- set table_types = raw_value_grammar()['column_types'].get(table_name, {}) -%}
    {%- if column_name not in table_types -%}
        {{ exceptions.raise_compiler_error(
            "raw_value_grammar.column_types has no type for " ~ table_name ~ "." ~ column_name
        ) }}
    {%- endif -%}
    {{ return(table_types[column_name]) }}
{%- endmacro %}


{#- A raw column typed by its declared type; expression defaults to the column itself. -#}
{% macro parse_raw(table_name, column_name, expression=none) -%}
    {{ parse_as(raw_column_type(table_name, column_name), expression or column_name) }}
{%- endmacro %}


{#- A text expression typed as one of the grammar's types (integer, decimal(p, s), timestamp, date,
    boolean, currency, country, code); null when it does not parse. -#}
{% macro parse_as(data_type, expression) -%}
    {%- if data_type == 'integer' or data_type.startswith('decimal') -%}
        {{ try_parse(expression, data_type) }}
    {%- elif data_type == 'timestamp' -%}
        {{ parse_timestamp_utc(expression) }}
    {%- elif data_type == 'date' -%}
        {{ parse_date(expression) }}
    {%- elif data_type == 'boolean' -%}
        {{ parse_boolean(expression) }}
    {%- elif data_type in ['currency', 'country'] -%}
        {#- ISO 4217 and ISO 3166-1 codes read alike: trimmed, upper-cased -#}
        {{ parse_currency(expression) }}
    {%- elif data_type == 'code' -%}
        lower(nullif(trim({{ expression }}), ''))
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown raw column type " ~ data_type) }}
    {%- endif -%}
{%- endmacro %}


{#- An ISO 4217 currency code: trimmed and upper-cased everywhere (raw columns and the var
    reporting_currency), so that 'usd', ' USD' and 'USD' are one currency. -#}
{% macro parse_currency(expression) -%}
    upper(nullif(trim({{ expression }}), ''))
{%- endmacro %}
{% macro reporting_currency() -%}
    {{ return(var('reporting_currency') | string | trim | upper) }}
{%- endmacro %}


{#- True when the whole of expression matches the pattern. -#}
{% macro matches_pattern(expression, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern', 'saas_warehouse')(expression, pattern)) }}
{%- endmacro %}
{% macro duckdb__matches_pattern(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}
{% macro postgres__matches_pattern(expression, pattern) -%}
    ({{ expression }} ~ '^({{ pattern }})$')
{%- endmacro %}
{#- Java's `$` also matches before a final line break: the whole value must be the match. -#}
{% macro spark__matches_pattern(expression, pattern) -%}
    (regexp_extract({{ expression }}, '^({{ pattern }})$', 0) = {{ expression }})
{%- endmacro %}


{#- data_type: 'integer' or 'decimal(p, s)'. An integer may be written as an integral decimal (12.0,
    +12.00: its zero fraction is dropped before the cast) and must lie within 32 bits. A decimal may have
    an exponent (1e3, 1.5E-2); it is rounded half away from zero to s decimals and is unreadable when it
    then needs more than p - s integer digits. -#}
{% macro try_parse(expression, data_type) -%}
    {%- set text = 'trim(' ~ expression ~ ')' -%}
    {%- if data_type == 'integer' -%}
    case
        when {{ matches_pattern(text, integer_pattern()) }}
            then {{ adapter.dispatch('cast_checked_number', 'saas_warehouse')(
                "regexp_replace(" ~ text ~ ", '[.]0*$', '')", data_type
            ) }}
    end
    {%- else -%}
    case
        when {{ matches_pattern(text, decimal_pattern()) }}
            then {{ adapter.dispatch('cast_checked_number', 'saas_warehouse')(text, data_type) }}
    end
    {%- endif -%}
{%- endmacro %}
{#- integer_range bounds an integer (a 32-bit integer column on every engine). -#}
{% macro integer_range() -%}
    {{ return(raw_value_grammar()['integer_range']) }}
{%- endmacro %}
{% macro default__cast_checked_number(text, data_type) -%}
    {%- if data_type == 'integer' -%}
    case
        when try_cast({{ text }} as bigint) between {{ integer_range()[0] }} and {{ integer_range()[1] }}
            then try_cast({{ text }} as integer)
    end
    {%- else -%}
    try_cast({{ text }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
{#- PostgreSQL has no try_cast: an out-of-range value would raise, so the range is checked first (CASE
    evaluates its branches in order; AND does not promise to). numeric reads an exponent exactly (the
    grammar's exponent has at most three digits, within PostgreSQL's limit of 1000). -#}
{% macro postgres__cast_checked_number(text, data_type) -%}
    {%- if data_type == 'integer' -%}
    {%- set max_digits = [integer_range()[0] | abs, integer_range()[1] | abs] | max | string | length -%}
    case
        when length(ltrim({{ text }}, '+-0')) > {{ max_digits }} then null
        when cast({{ text }} as numeric) between {{ integer_range()[0] }} and {{ integer_range()[1] }}
            then cast({{ text }} as integer)
    end
    {%- else -%}
    {%- set precision_and_scale = data_type.split('(')[1].rstrip(')').split(',') -%}
    {%- set integer_digits = precision_and_scale[0] | int - precision_and_scale[1] | int -%}
    {%- set scale = precision_and_scale[1] | int -%}
    case
        when abs(round(cast({{ text }} as numeric), {{ scale }})) < 1{{ '0' * integer_digits }}
            then cast({{ text }} as {{ data_type }})
    end
    {%- endif -%}
{%- endmacro %}


{#- ISO 8601 timestamp; a value without an offset is UTC. Returns a UTC timestamp without time zone.
    The one space the grammar allows before an offset ('2025-03-01 10:00:00 Z') is removed before the
    cast (the date and time are digits, so ' Z', ' +' and ' -' can only stand before an offset). -#}
{% macro parse_timestamp_utc(expression) -%}
    {%- set text = 'trim(' ~ expression ~ ')' -%}
    case
        when {{ matches_pattern(text, timestamp_pattern()) }}
            then {{ adapter.dispatch('cast_checked_timestamp', 'saas_warehouse')(
                "replace(replace(replace(" ~ text ~ ", ' Z', 'Z'), ' +', '+'), ' -', '-')"
            ) }}
    end
{%- endmacro %}
{% macro duckdb__cast_checked_timestamp(text) -%}
    cast(timezone('UTC', try_cast({{ text }} as timestamptz)) as timestamp)
{%- endmacro %}
{% macro postgres__cast_checked_timestamp(text) -%}
    case
        when not {{ postgres_valid_day(text) }} then null
        when {{ text }} ~ '[T ][0-9:.]+(Z|[+-])' then cast(cast({{ text }} as timestamptz) at time zone 'UTC' as timestamp)
        else cast({{ text }} as timestamp)
    end
{%- endmacro %}
{#- Spark reads offsets as ±hh:mm, and an offset only after seconds: ±hh and ±hhmm are rewritten to
    ±hh:mm, and hh:mm to hh:mm:00, first. The session time zone is UTC (profiles.yml), so a value without
    an offset is UTC. -#}
{% macro spark__cast_checked_timestamp(text) -%}
    try_cast(
        regexp_replace(
            regexp_replace(
                regexp_replace({{ text }}, '([T ][0-9]{2}:[0-9]{2})([Z+-]|$)', '$1:00$2'),
                '([T ][0-9:.]+[+-][0-9]{2})([0-9]{2})$', '$1:$2'
            ),
            '([T ][0-9:.]+[+-][0-9]{2})$', '$1:00'
        )
        as timestamp
    )
{%- endmacro %}


{#- YYYY-MM-DD; a timestamp (same pattern as above) is cut to the date written in it. -#}
{% macro parse_date(expression) -%}
    case
        when {{ matches_pattern('trim(' ~ expression ~ ')', timestamp_pattern()) }}
            then {{ adapter.dispatch('cast_checked_date', 'saas_warehouse')('substr(trim(' ~ expression ~ '), 1, 10)') }}
    end
{%- endmacro %}
{% macro default__cast_checked_date(text) -%}
    try_cast({{ text }} as date)
{%- endmacro %}
{% macro postgres__cast_checked_date(text) -%}
    case when {{ postgres_valid_day(text) }} then cast({{ text }} as date) end
{%- endmacro %}

{#- PostgreSQL: the day of a text that starts with a date matching date_pattern() exists in its month. -#}
{% macro postgres_valid_day(text) -%}
    (cast(substr({{ text }}, 9, 2) as integer) <= extract(day from
        make_date(cast(substr({{ text }}, 1, 4) as integer), cast(substr({{ text }}, 6, 2) as integer), 1)
        + interval '1 month - 1 day'))
{%- endmacro %}


{#- The words of raw_value_grammar.boolean_true and boolean_false, in any case. -#}
{% macro parse_boolean(expression) -%}
    {%- set grammar = raw_value_grammar() -%}
    case
        when lower(trim({{ expression }})) in ({{ sql_string_list(grammar['boolean_true']) }}) then true
        when lower(trim({{ expression }})) in ({{ sql_string_list(grammar['boolean_false']) }}) then false
    end
{%- endmacro %}
{% macro sql_string_list(values) -%}
    {%- for value in values -%}
        '{{ value | string | lower | replace("'", "''") }}'{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#- True when a non-empty value is present but did not parse. -#}
{% macro is_unparseable(raw_expression, parsed_expression) -%}
    (nullif(trim({{ raw_expression }}), '') is not null and {{ parsed_expression }} is null)
{%- endmacro %}


{#- A stable fingerprint of a row's contract columns (to tell duplicates apart deterministically). -#}
{% macro content_hash(columns) -%}
    md5(
    {%- for column in columns %}
        coalesce(cast({{ column }} as {{ text_type() }}), '<null>'){{ " || '|' ||" if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}


{#- The engine's unbounded text type (Spark rejects `varchar` without a length). -#}
{% macro text_type() -%}
    {{ return(adapter.dispatch('text_type', 'saas_warehouse')()) }}
{%- endmacro %}
{% macro default__text_type() -%} varchar {%- endmacro %}
{% macro spark__text_type() -%} string {%- endmacro %}

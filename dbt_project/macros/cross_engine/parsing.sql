{#- Typing raw text: every parser returns null for a value it cannot read, so staging can flag the row.

    What is readable is defined here, by regular expressions that every engine applies the same way, and
    not by each engine's own cast (DuckDB reads '1.5' as the integer 2 and 'infinity' as a date, PostgreSQL
    raises an error on '2024-02-30'): a value passes the pattern first, then the engine converts it.
    Patterns avoid backslashes (Spark's SQL literals treat them as escapes). DECISIONS.md D-27. -#}

{% macro integer_pattern() -%} [+-]?[0-9]+ {%- endmacro %}
{% macro decimal_pattern() -%} [+-]?([0-9]+([.][0-9]*)?|[.][0-9]+) {%- endmacro %}
{#- Years 0001-9999, months 01-12, days 01-31 (the day within its month is checked by the engine). -#}
{% macro date_pattern() -%}
    (000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])
{%- endmacro %}
{#- ISO 8601: a date, or a date and a time to the minute, second or microsecond, with an optional offset
    (Z, ±hh, ±hhmm or ±hh:mm, at most 14 hours). -#}
{% macro timestamp_pattern() -%}
    {{ date_pattern() }}([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)?
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


{#- data_type: 'integer' or 'decimal(p, s)'. Integers outside 32 bits and decimals with more than p - s
    integer digits (after rounding half away from zero to s decimals) are unreadable. -#}
{% macro try_parse(expression, data_type) -%}
    {%- set pattern = integer_pattern() if data_type == 'integer' else decimal_pattern() -%}
    case
        when {{ matches_pattern('trim(' ~ expression ~ ')', pattern) }}
            then {{ adapter.dispatch('cast_checked_number', 'saas_warehouse')('trim(' ~ expression ~ ')', data_type) }}
    end
{%- endmacro %}
{% macro default__cast_checked_number(text, data_type) -%}
    try_cast({{ text }} as {{ data_type }})
{%- endmacro %}
{#- PostgreSQL has no try_cast: an out-of-range value would raise, so the range is checked first (CASE
    evaluates its branches in order; AND does not promise to). -#}
{% macro postgres__cast_checked_number(text, data_type) -%}
    {%- if data_type == 'integer' -%}
    case
        when length(ltrim({{ text }}, '+-0')) > 10 then null
        when cast({{ text }} as numeric) between -2147483648 and 2147483647 then cast({{ text }} as integer)
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


{#- ISO 8601 timestamp; a value without an offset is UTC. Returns a UTC timestamp without time zone. -#}
{% macro parse_timestamp_utc(expression) -%}
    case
        when {{ matches_pattern('trim(' ~ expression ~ ')', timestamp_pattern()) }}
            then {{ adapter.dispatch('cast_checked_timestamp', 'saas_warehouse')('trim(' ~ expression ~ ')') }}
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
{#- Spark reads offsets as ±hh:mm; ±hh and ±hhmm are rewritten to that first. The session time zone is
    UTC (profiles.yml), so a value without an offset is UTC. -#}
{% macro spark__cast_checked_timestamp(text) -%}
    try_cast(
        regexp_replace(
            regexp_replace({{ text }}, '([T ][0-9:.]+[+-][0-9]{2})([0-9]{2})$', '$1:$2'),
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


{% macro parse_boolean(expression) -%}
    case lower(trim({{ expression }}))
        when 'true' then true when 't' then true when '1' then true when 'yes' then true when 'y' then true
        when 'false' then false when 'f' then false when '0' then false when 'no' then false when 'n' then false
    end
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

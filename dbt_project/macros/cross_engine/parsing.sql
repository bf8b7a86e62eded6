{#- Typing raw text: every parser returns null for a value it cannot read, so staging can flag the row. -#}

{% macro try_parse(expression, data_type) -%}
    {{ return(adapter.dispatch('try_parse', 'saas_warehouse')(expression, data_type)) }}
{%- endmacro %}
{% macro default__try_parse(expression, data_type) -%}
    try_cast(nullif(trim({{ expression }}), '') as {{ data_type }})
{%- endmacro %}


{#- ISO 8601 timestamp; a value without an offset is UTC. Returns a UTC timestamp without time zone. -#}
{% macro parse_timestamp_utc(expression) -%}
    {{ return(adapter.dispatch('parse_timestamp_utc', 'saas_warehouse')(expression)) }}
{%- endmacro %}
{% macro duckdb__parse_timestamp_utc(expression) -%}
    cast(timezone('UTC', try_cast(nullif(trim({{ expression }}), '') as timestamptz)) as timestamp)
{%- endmacro %}


{#- YYYY-MM-DD dates (a timestamp is cut to its date). -#}
{% macro parse_date(expression) -%}
    {{ return(adapter.dispatch('parse_date', 'saas_warehouse')(expression)) }}
{%- endmacro %}
{% macro default__parse_date(expression) -%}
    try_cast(nullif(trim({{ expression }}), '') as date)
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
        coalesce(cast({{ column }} as varchar), '<null>'){{ " || '|' ||" if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}

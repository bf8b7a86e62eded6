{#- Date arithmetic used by the models. Each construct that differs between engines lives here,
    behind adapter.dispatch, so that models stay plain SQL. -#}

{% macro month_start(expression) -%}
    {{ return(adapter.dispatch('month_start', 'saas_warehouse')(expression)) }}
{%- endmacro %}
{% macro default__month_start(expression) -%}
    cast(date_trunc('month', {{ expression }}) as date)
{%- endmacro %}


{% macro add_months(date_expression, months) -%}
    {{ return(adapter.dispatch('add_months', 'saas_warehouse')(date_expression, months)) }}
{%- endmacro %}
{% macro default__add_months(date_expression, months) -%}
    cast({{ date_expression }} + ({{ months }}) * interval '1 month' as date)
{%- endmacro %}
{% macro duckdb__add_months(date_expression, months) -%}
    cast({{ date_expression }} + to_months(cast({{ months }} as integer)) as date)
{%- endmacro %}


{#- Whole months from one month start to another (both first days of a month). -#}
{% macro months_between(start_month, end_month) -%}
    {{ return(adapter.dispatch('months_between', 'saas_warehouse')(start_month, end_month)) }}
{%- endmacro %}
{% macro default__months_between(start_month, end_month) -%}
    ((extract(year from {{ end_month }}) - extract(year from {{ start_month }})) * 12
        + extract(month from {{ end_month }}) - extract(month from {{ start_month }}))
{%- endmacro %}
{% macro duckdb__months_between(start_month, end_month) -%}
    date_diff('month', {{ start_month }}, {{ end_month }})
{%- endmacro %}


{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'saas_warehouse')(start_date, end_date)) }}
{%- endmacro %}
{% macro default__days_between(start_date, end_date) -%}
    ({{ end_date }} - {{ start_date }})
{%- endmacro %}
{% macro duckdb__days_between(start_date, end_date) -%}
    date_diff('day', {{ start_date }}, {{ end_date }})
{%- endmacro %}


{% macro add_days(date_expression, days) -%}
    {{ return(adapter.dispatch('add_days', 'saas_warehouse')(date_expression, days)) }}
{%- endmacro %}
{% macro default__add_days(date_expression, days) -%}
    cast({{ date_expression }} + cast({{ days }} as integer) as date)
{%- endmacro %}


{#- One row per month start from start_month to end_month inclusive, in a column named `month`. -#}
{% macro month_series(start_month, end_month) -%}
    {{ return(adapter.dispatch('month_series', 'saas_warehouse')(start_month, end_month)) }}
{%- endmacro %}
{% macro default__month_series(start_month, end_month) -%}
    select cast(generated_month as date) as month
    from generate_series({{ start_month }}, {{ end_month }}, interval '1 month') as series (generated_month)
{%- endmacro %}
{% macro duckdb__month_series(start_month, end_month) -%}
    select cast(generated_month as date) as month
    from generate_series(
        cast({{ start_month }} as timestamp), cast({{ end_month }} as timestamp), interval 1 month
    ) as series (generated_month)
{%- endmacro %}


{#- The as-of date that closes every month range: var as_of (SAAS_AS_OF) or today's UTC date. Only a real
    calendar date written YYYY-MM-DD is accepted (engines read 20261031, 2026-1-5 or 2026-02-30 differently
    or not at all); anything else stops the build with a compiler error naming the value. -#}
{% macro as_of_date() -%}
    {%- set as_of = var('as_of', '') | string | trim -%}
    {%- if as_of == '' -%}
        cast({{ current_timestamp_utc() }} as date)
    {%- else -%}
        {%- do validate_as_of(as_of) -%}
        cast('{{ as_of }}' as date)
    {%- endif -%}
{%- endmacro %}

{% macro validate_as_of(as_of) -%}
    {%- set message = "var as_of (SAAS_AS_OF, saas-warehouse build --as-of) must be a calendar date written "
        ~ "YYYY-MM-DD, e.g. 2026-10-31 (or empty for today's UTC date); got '" ~ as_of ~ "'" -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', as_of) -%}
        {{ exceptions.raise_compiler_error(message) }}
    {%- endif -%}
    {%- set year = as_of[0:4] | int -%}
    {%- set month = as_of[5:7] | int -%}
    {%- set day = as_of[8:10] | int -%}
    {%- set is_leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) -%}
    {%- set days_in_month = [31, 29 if is_leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if year < 1 or month < 1 or month > 12 or day < 1 or day > days_in_month[month - 1] -%}
        {{ exceptions.raise_compiler_error(message) }}
    {%- endif -%}
{%- endmacro %}

{% macro current_timestamp_utc() -%}
    {{ return(adapter.dispatch('current_timestamp_utc', 'saas_warehouse')()) }}
{%- endmacro %}
{% macro default__current_timestamp_utc() -%}
    cast(current_timestamp at time zone 'UTC' as timestamp)
{%- endmacro %}


{#- The first day of the as-of month: the last month of history. -#}
{% macro as_of_month() -%}
    {{ month_start(as_of_date()) }}
{%- endmacro %}


{#- The last complete month (D-44): the month in progress is never complete, and a month is complete only once
    its usage is billed, usage_billing_lag_days days after its last day (usage is billed in arrears; default 0:
    on the first day of the next month). So the last complete month is the month before the month of
    (as-of date - lag days). -#}
{% macro last_complete_month() -%}
    {{ add_months(month_start(add_days(as_of_date(), -1 * usage_billing_lag_days())), -1) }}
{%- endmacro %}

{% macro usage_billing_lag_days() -%}
    {%- set lag = var('usage_billing_lag_days', 0) -%}
    {%- if lag is not number or lag < 0 or lag > 62 or lag != lag | int -%}
        {{ exceptions.raise_compiler_error(
            "var usage_billing_lag_days must be a whole number of days from 0 to 62; got '" ~ lag ~ "'") }}
    {%- endif -%}
    {{- return(lag | int) -}}
{%- endmacro %}

{#- The is_complete column of every month-grain mart: true for the months up to the last complete month. -#}
{% macro is_complete_month(month_expression) -%}
    ({{ month_expression }} <= {{ last_complete_month() }})
{%- endmacro %}


{#- The scoring month S of the expansion-intelligence marts: the last complete month. -#}
{% macro scoring_month() -%}
    {{ last_complete_month() }}
{%- endmacro %}


{#- Spark: no generate_series; a sequence of dates exploded into rows (none when the range is empty). -#}
{% macro spark__month_series(start_month, end_month) -%}
    select explode(
        case
            when {{ start_month }} <= {{ end_month }}
                then sequence(cast({{ start_month }} as date), cast({{ end_month }} as date), interval 1 month)
        end
    ) as month
{%- endmacro %}
{% macro spark__add_months(date_expression, months) -%}
    add_months({{ date_expression }}, cast({{ months }} as integer))
{%- endmacro %}
{% macro spark__add_days(date_expression, days) -%}
    date_add({{ date_expression }}, cast({{ days }} as integer))
{%- endmacro %}
{% macro spark__days_between(start_date, end_date) -%}
    datediff({{ end_date }}, {{ start_date }})
{%- endmacro %}
{#- The Spark session runs in UTC (profiles.yml: spark.sql.session.timeZone). -#}
{% macro spark__current_timestamp_utc() -%}
    cast(current_timestamp() as timestamp)
{%- endmacro %}


{#- A timestamp plus a number of calendar months, same day and time (the month's last day when that day
    does not exist). -#}
{% macro add_months_to_timestamp(expression, months) -%}
    {{ return(adapter.dispatch('add_months_to_timestamp', 'saas_warehouse')(expression, months)) }}
{%- endmacro %}
{% macro duckdb__add_months_to_timestamp(expression, months) -%}
    ({{ expression }} + to_months(cast({{ months }} as integer)))
{%- endmacro %}
{% macro default__add_months_to_timestamp(expression, months) -%}
    ({{ expression }} + ({{ months }}) * interval '1 month')
{%- endmacro %}
{% macro spark__add_months_to_timestamp(expression, months) -%}
    ({{ expression }} + make_interval(0, cast({{ months }} as int)))
{%- endmacro %}

{#- Statistics that differ between engines. -#}

{#- The median of a numeric expression (an aggregate): the middle value, or the mean of the two middle
    values for an even count (continuous interpolation); nulls are ignored. Returns decimal(38, 10). -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'saas_warehouse')(expression)) }}
{%- endmacro %}
{% macro default__median(expression) -%}
    cast(percentile_cont(0.5) within group (order by {{ expression }}) as decimal(38, 10))
{%- endmacro %}
{% macro duckdb__median(expression) -%}
    cast(quantile_cont({{ expression }}, 0.5) as decimal(38, 10))
{%- endmacro %}


{#- x to the power n (a whole number, 1 or more) for a rate 0 <= x < 10, exactly the same on every engine:
    square-and-multiply in decimals, each product rounded half away from zero to 18 decimals (operands
    decimal(20, 18), products decimal(38, 36): no engine drops a digit), the result rounded to 10 decimals
    as decimal(38, 10). A double-precision power differs between engines in the last digits (PostgreSQL
    converts a double to numeric with 15 significant digits, DuckDB with 17), so it is not used. -#}
{% macro rate_power(rate, exponent) -%}
    {%- set base = 'cast(' ~ rate ~ ' as decimal(20, 18))' -%}
    {%- set ns = namespace(result=none, square=base, remaining=exponent | int) -%}
    {%- if ns.remaining < 1 -%}
        {{ exceptions.raise_compiler_error('rate_power needs a whole exponent of 1 or more, got ' ~ exponent) }}
    {%- endif -%}
    {%- for _ in range(8) if ns.remaining > 0 -%}
        {%- if ns.remaining % 2 == 1 -%}
            {%- set ns.result = ns.square if ns.result is none else decimal_product(ns.result, ns.square) -%}
        {%- endif -%}
        {%- set ns.remaining = ns.remaining // 2 -%}
        {%- if ns.remaining > 0 -%}
            {%- set ns.square = decimal_product(ns.square, ns.square) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if ns.remaining > 0 -%}
        {{ exceptions.raise_compiler_error('rate_power supports exponents below 256, got ' ~ exponent) }}
    {%- endif -%}
    cast(round({{ ns.result }}, 10) as decimal(38, 10))
{%- endmacro %}

{% macro decimal_product(left, right) -%}
    {{ return('cast(round(' ~ left ~ ' * ' ~ right ~ ', 18) as decimal(20, 18))') }}
{%- endmacro %}

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


{#- x to the power n for a rate x, computed in double precision (no engine has an exact decimal power)
    and returned as decimal(38, 10) rounded to 10 decimals. Relative error before rounding < 1e-15. -#}
{% macro rate_power(rate, exponent) -%}
    cast(round(power(cast({{ rate }} as double), {{ exponent }}), 10) as decimal(38, 10))
{%- endmacro %}

{#- Business rules shared by several models: one macro each, so every model applies the same rule. -#}

{#- The order of an item's events (raw contract): occurred_at, ties broken by recorded_at then event_id. -#}
{% macro event_order() -%}
    occurred_at, recorded_at nulls first, event_id
{%- endmacro %}


{#- Normalising a price per billing interval to a month (metrics spec §1): the factor as an exact
    fraction numerator / denominator, so that the division happens once, in exact_divide. -#}
{% macro month_factor_numerator(billing_interval) -%}
    case {{ billing_interval }} when 'week' then 52 when 'day' then 365 else 1 end
{%- endmacro %}
{% macro month_factor_denominator(billing_interval, billing_interval_count) -%}
    (case {{ billing_interval }} when 'month' then 1 else 12 end) * {{ billing_interval_count }}
{%- endmacro %}


{#- Size segment by employee_count (metrics spec §6). -#}
{% macro size_segment(employee_count) -%}
    case
        when {{ employee_count }} is null then 'unknown'
        when {{ employee_count }} < 100 then 'smb'
        when {{ employee_count }} < 1000 then 'mid_market'
        else 'enterprise'
    end
{%- endmacro %}


{#- The exchange rate that applies on a day (DECISIONS.md D-06): the range of int_fx_rate_ranges, joined as
    `left join int_fx_rate_ranges as fx_rate_ranges on {{ fx_rate_applies(currency, day) }}`. -#}
{#- The whole join clause: `from x {{ fx_rate_join(currency, day) }}`. DuckDB's ASOF join finds the latest
    rate_date on or before the day directly; a range join with an equality on currency alone compares
    every row with every rate of its currency (about 1,000 a year), which dominated the build at scale. -#}
{% macro fx_rate_join(currency_expression, day_expression, ranges='fx_rate_ranges') -%}
    {{ return(adapter.dispatch('fx_rate_join', 'saas_warehouse')(currency_expression, day_expression, ranges)) }}
{%- endmacro %}
{% macro default__fx_rate_join(currency_expression, day_expression, ranges) -%}
    left join {{ ranges }}
        on {{ fx_rate_applies(currency_expression, day_expression, ranges) }}
{%- endmacro %}
{% macro duckdb__fx_rate_join(currency_expression, day_expression, ranges) -%}
    asof left join {{ ranges }}
        on {{ ranges }}.currency = {{ currency_expression }}
        and {{ day_expression }} >= {{ ranges }}.valid_from_date
{%- endmacro %}


{% macro fx_rate_applies(currency_expression, day_expression, ranges='fx_rate_ranges') -%}
    {{ ranges }}.currency = {{ currency_expression }}
        and {{ day_expression }} >= {{ ranges }}.valid_from_date
        and ({{ day_expression }} < {{ ranges }}.valid_until_date or {{ ranges }}.valid_until_date is null)
{%- endmacro %}

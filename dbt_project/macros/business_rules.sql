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


{#- A recurring price in a month (metrics spec §1): unit_price x units x (1 - discount/100), normalised from
    its billing interval to a month, in the price's currency, divided once (exact_divide). -#}
{% macro monthly_amount(unit_price, units, discount_percent, billing_interval, billing_interval_count) -%}
    {{ exact_divide(
        'cast(' ~ unit_price ~ ' as ' ~ money_type() ~ ') * ' ~ units ~ ' * (100 - ' ~ discount_percent ~ ')'
            ~ ' * ' ~ month_factor_numerator(billing_interval),
        '100 * ' ~ month_factor_denominator(billing_interval, billing_interval_count)
    ) }}
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
{#- The whole join clause, `from x {{ fx_rate_join('x.currency', 'x.day') }}`, after which
    fx_rate_ranges.currency and fx_rate_ranges.rate_to_reporting hold the rate that applies (null when
    none). The range join runs on the distinct (currency, day) pairs only (a few thousand) and the result
    is joined back on equality: a range join of every row with every rate of its currency (about 1,000
    a year) dominated the build at a million customers. -#}
{% macro fx_rate_join(currency_expression, day_expression, ranges='fx_rate_ranges') -%}
    {%- set left_relation = currency_expression.split('.')[0] -%}
    left join (
        select
            distinct_days.day_currency,
            distinct_days.rate_day,
            {{ ranges }}.currency,
            {{ ranges }}.rate_to_reporting
        from (
            select distinct
                {{ currency_expression }} as day_currency,
                {{ day_expression }} as rate_day
            from {{ left_relation }}
        ) as distinct_days
        inner join {{ ranges }}
            on {{ fx_rate_applies('distinct_days.day_currency', 'distinct_days.rate_day', ranges) }}
    ) as {{ ranges }}
        on {{ currency_expression }} = {{ ranges }}.day_currency
        and {{ day_expression }} = {{ ranges }}.rate_day
{%- endmacro %}


{% macro fx_rate_applies(currency_expression, day_expression, ranges='fx_rate_ranges') -%}
    {{ ranges }}.currency = {{ currency_expression }}
        and {{ day_expression }} >= {{ ranges }}.valid_from_date
        and ({{ day_expression }} < {{ ranges }}.valid_until_date or {{ ranges }}.valid_until_date is null)
{%- endmacro %}

{#- Retention and expansion formulas that are not a column of a single mart (metrics spec §4, §5 and §8), one
    macro each so models and tests apply the same formula. Rates are fractions (1.10 = 110 %). -#}

{#- The customer-based retention totals of a window (metrics spec §4): the customers active at the end of its
    start month (MRR > 0), their MRR then and at the end of its end month, one row per window. NRR is
    mrr_end / mrr_start, GRR mrr_retained / mrr_start. A window with no customer at the start has no row. -#}
{% macro starting_customer_totals(windows, window_keys, start_month, end_month, customer_months='customer_months') -%}
    select
        {%- for key in window_keys %}
        {{ windows }}.{{ key }},
        {%- endfor %}
        count(*) as customers_start,
        sum(case when at_end.mrr > 0 then 1 else 0 end) as customers_retained,
        sum(at_start.mrr) as mrr_start,
        sum(at_end.mrr) as mrr_end,
        sum(least(at_start.mrr, at_end.mrr)) as mrr_retained
    from {{ windows }}
    inner join {{ customer_months }} as at_start
        on at_start.month = {{ start_month }}
        and at_start.is_active
    inner join {{ customer_months }} as at_end
        on at_start.customer_id = at_end.customer_id
        and at_end.month = {{ end_month }}
    group by
        {%- for key in window_keys %}
        {{ windows }}.{{ key }}{{ "," if not loop.last }}
        {%- endfor %}
{%- endmacro %}


{#- Annualised logo churn from a monthly rate: 1 − (1 − monthly)^12 (the chance of churning within a year
    at a constant monthly rate). The power is computed in double (rate_power) and rounded to 10 decimals. -#}
{#- Operands are narrowed to decimal(20, 10) so that no engine drops decimals (Spark keeps at most 38
    digits in a sum of two decimal(38, 10) values and gives up decimals first). -#}
{% macro annualized_churn_rate(monthly_rate) -%}
    cast(
        1 - cast({{ rate_power('1 - cast(' ~ monthly_rate ~ ' as decimal(20, 10))', 12) }} as decimal(20, 10))
        as decimal(38, 10)
    )
{%- endmacro %}


{#- Share of a company's growth that comes from expansion of its existing base (metrics spec §8):
    share = (NRR − 1) / growth, e.g. (1.10 − 1) / 0.40 = 25 %. Exact; null when growth is 0. -#}
{% macro growth_share_from_expansion(nrr, growth_rate) -%}
    {{ ratio('(' ~ nrr ~ ') - 1', growth_rate) }}
{%- endmacro %}


{#- ARR added after n years by raising NRR from nrr_low to nrr_high on an ARR base (metrics spec §8),
    compounded: base × (nrr_high^n − nrr_low^n). Exact decimal for whole n: the powers are products of
    decimals (rates taken to 4 decimals; the scale grows 4 digits a year), rounded to 6 decimals at the end.
    n is a literal integer (Jinja), 1 or more. -#}
{% macro nrr_compounding_gain(arr_base, nrr_high, nrr_low, years) -%}
    {%- set high_factors = [] -%}
    {%- set low_factors = [] -%}
    {%- for _ in range(years | int) -%}
        {%- do high_factors.append('cast(' ~ nrr_high ~ ' as decimal(18, 4))') -%}
        {%- do low_factors.append('cast(' ~ nrr_low ~ ' as decimal(18, 4))') -%}
    {%- endfor -%}
    cast(round(
        cast({{ arr_base }} as decimal(38, 6))
        * (({{ high_factors | join(' * ') }}) - ({{ low_factors | join(' * ') }})), 6
    ) as {{ money_type() }})
{%- endmacro %}

{#- Retention and expansion formulas that are not a column of a single mart (metrics spec §5 and §8), one
    macro each so models and tests apply the same formula. Rates are fractions (1.10 = 110 %). -#}

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

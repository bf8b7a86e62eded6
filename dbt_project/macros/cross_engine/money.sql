{#- Money stays decimal in SQL. Most engines turn decimal division into a float (DuckDB does), so every
    division of money goes through exact_divide(numerator, denominator): an exact integer division,
    rounded half away from zero to 6 decimal places (a millionth of a currency unit; figures are shown to 2). Sums of these values
    are exact, which is what makes the MRR bridge hold to the cent. -#}

{% macro money_type() -%}
    decimal(38, 6)
{%- endmacro %}

{% macro rate_type() -%}
    decimal(18, 10)
{%- endmacro %}

{% macro exact_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('exact_divide', 'saas_warehouse')(numerator, denominator)) }}
{%- endmacro %}
{% macro default__exact_divide(numerator, denominator) -%}
    cast(round(cast({{ numerator }} as numeric) / cast({{ denominator }} as numeric), 6) as {{ money_type() }})
{%- endmacro %}
{#- PostgreSQL: the same integer method as DuckDB's (numeric is exact at any size; div truncates). -#}
{% macro postgres__exact_divide(numerator, denominator) -%}
    {{ postgres_rounded_quotient(numerator, denominator, 6) }}
{%- endmacro %}
{#- Spark: a decimal(38, 6) quotient is computed exactly and rounded half up (away from zero) to 6 places. -#}
{% macro spark__exact_divide(numerator, denominator) -%}
    cast(cast({{ numerator }} as decimal(38, 6)) / cast({{ denominator }} as decimal(38, 6)) as {{ money_type() }})
{%- endmacro %}

{#- sign × ⌊(2 × 10^places × |n| + |d|) / (2 × |d|)⌋ / 10^places with n and d rounded to 6 places first: the
    quotient rounded half away from zero to `places` decimals, exactly. -#}
{% macro postgres_rounded_quotient(numerator, denominator, places) -%}
    {%- set n = 'cast(' ~ numerator ~ ' as decimal(38, 6))' -%}
    {%- set d = 'cast(' ~ denominator ~ ' as decimal(38, 6))' -%}
    cast(
        sign({{ n }}) * sign({{ d }})
        * div(2{{ '0' * places }} * abs({{ n }}) + abs({{ d }}), 2 * abs({{ d }}))
        * 0.{{ '0' * (places - 1) }}1
        as decimal(38, {{ places }})
    )
{%- endmacro %}
{% macro duckdb__exact_divide(numerator, denominator) -%}
    {{ duckdb_rounded_quotient(numerator, denominator, 6) }}
{%- endmacro %}

{#- DuckDB: both sides as hugeint counts of millionths; the quotient in units of 10^-places, rounded half away
    from zero by integer division with half the divisor added, as decimal(38, places). -#}
{% macro duckdb_rounded_quotient(numerator, denominator, places) -%}
    {%- set n = 'cast(abs(cast(' ~ numerator ~ ' as decimal(38, 6))) * 1000000 as hugeint)' -%}
    {%- set d = 'cast(abs(cast(' ~ denominator ~ ' as decimal(38, 6))) * 1000000 as hugeint)' -%}
    (cast(
        sign({{ numerator }}) * sign({{ denominator }})
        * (({{ n }} * 1{{ '0' * places }} * 2 + {{ d }}) // (2 * {{ d }}))
        as decimal(38, 0)
    ) * cast(0.{{ '0' * (places - 1) }}1 as decimal({{ places + 1 }}, {{ places }})))
{%- endmacro %}

{#- Money times an exchange rate, rounded to the stored scale. Both sides are widened first: engines
    multiply narrow decimals in 64 bits and overflow. -#}
{% macro convert_money(amount, rate) -%}
    cast(round(cast({{ amount }} as {{ money_type() }}) * cast({{ rate }} as decimal(38, 10)), 6) as {{ money_type() }})
{%- endmacro %}


{#- A rate (a fraction such as NRR = 1.07): numerator / denominator as decimal(38, 10), rounded half away
    from zero, exact (no float); null when the denominator is 0 or null, never an error or infinity. -#}
{% macro ratio(numerator, denominator) -%}
    {{ return(adapter.dispatch('ratio', 'saas_warehouse')(numerator, denominator)) }}
{%- endmacro %}
{% macro default__ratio(numerator, denominator) -%}
    cast(round(cast({{ numerator }} as numeric) / nullif(cast({{ denominator }} as numeric), 0), 10) as decimal(38, 10))
{%- endmacro %}
{#- The cast outside the CASE keeps the column typed decimal(38, 10) (a CASE drops PostgreSQL's typmod). -#}
{% macro postgres__ratio(numerator, denominator) -%}
    cast(
        case when {{ denominator }} <> 0 then {{ postgres_rounded_quotient(numerator, denominator, 10) }} end
        as decimal(38, 10)
    )
{%- endmacro %}
{#- Spark: decimal(28, 6) / decimal(28, 6) has scale 10 (Spark keeps 38 digits: 28 integer, 10 decimal). -#}
{% macro spark__ratio(numerator, denominator) -%}
    case
        when {{ denominator }} <> 0 then cast(
            cast(cast({{ numerator }} as decimal(38, 6)) as decimal(28, 6))
            / cast(cast({{ denominator }} as decimal(38, 6)) as decimal(28, 6))
            as decimal(38, 10)
        )
    end
{%- endmacro %}
{% macro duckdb__ratio(numerator, denominator) -%}
    case when {{ denominator }} <> 0 then {{ duckdb_rounded_quotient(numerator, denominator, 10) }} end
{%- endmacro %}


{#- The smallest whole number >= numerator / denominator (denominator > 0), exactly, as decimal(38, 0): the
    ceiling of the quotient rounded to 6 decimals (exact_divide), moved by one where that rounding crossed a
    whole number (a quotient of 3.0000001 rounds to 3.000000, whose ceiling 3 is one short). No float. The
    checks compare as decimal(34, 10) (operands of up to 10 decimals and 24 integer digits): Spark compares a
    decimal(38, 6) with a decimal(38, 7) at scale 6. -#}
{% macro ceil_divide(numerator, denominator) -%}
    {%- set estimate = 'ceil(' ~ exact_divide(numerator, denominator) ~ ')' -%}
    {%- set exact_numerator = 'cast(' ~ numerator ~ ' as decimal(34, 10))' -%}
    cast(
        case
            when cast({{ estimate }} * ({{ denominator }}) as decimal(34, 10)) < {{ exact_numerator }}
                then {{ estimate }} + 1
            when cast(({{ estimate }} - 1) * ({{ denominator }}) as decimal(34, 10)) >= {{ exact_numerator }}
                then {{ estimate }} - 1
            else {{ estimate }}
        end
        as decimal(38, 0)
    )
{%- endmacro %}

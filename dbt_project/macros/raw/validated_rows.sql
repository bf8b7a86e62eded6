{#- Helpers of the intermediate models that check raw rows against each other (models/intermediate/billing):
    a row that passed staging is rejected when a key names no usable row of another table, or when its
    currency has no exchange rate on its day. -#}

{#- The rows of a model that passed its checks (rejection_reason is null): the given columns, default all;
    per_customer: only the customers this build recomputes (in_build_scope, D-25). -#}
{% macro usable_rows(relation, columns=['*'], per_customer=false) -%}
    select {{ columns | join(', ') }}
    from {{ relation }}
    where rejection_reason is null
    {%- if per_customer %}
        and {{ in_build_scope('customer_id') }}
    {%- endif %}
{%- endmacro %}


{#- The name of the CTE holding the usable rows a key column names: customer_id -> known_customers. -#}
{% macro known_rows_name(key_column) -%}
    {{ return('known_' ~ key_column | replace('_id', '') ~ 's') }}
{%- endmacro %}


{#- An intermediate model that checks the usable rows of a raw table's staging model against the tables
    they name: references maps each key column to the model of usable rows it must name (a row whose key
    names none is rejected, 'unknown <column> ...', in the order given); carried adds columns of those rows
    after the key column. convert_amount: the row's amount in currency is converted to the reporting
    currency (fx_rate, amount_reporting) at the rate of the UTC day of the table's meta exchange_rate_day,
    and a currency with no rate that day rejects the row. The columns are the staging model's (in contract
    order), then fx_rate, rejection_reason and amount_reporting. -#}
{% macro validated_raw_rows(table_name, references, carried={}, per_customer=false, convert_amount=false) -%}
    {%- set staged = 'staged_' ~ table_name -%}
    {%- set rate_day_column = raw_table_definition(table_name).meta.get('exchange_rate_day') if execute -%}
    {%- set rate_day = 'cast(' ~ staged ~ '.' ~ (rate_day_column or 'placeholder') ~ ' as date)' -%}
with {{ staged }} as (
    {{ usable_rows(ref(raw_table_staging_model(table_name)), per_customer=per_customer) }}
),
{%- for key_column, relation in references.items() %}

{{ known_rows_name(key_column) }} as (
    {{ usable_rows(relation, [key_column] + carried.get(key_column, [])) }}
),
{%- endfor %}
{%- if convert_amount %}

fx_rate_ranges as (
    select * from {{ ref('int_fx_rate_ranges') }}
),
{%- endif %}

checked as (
    select
        {%- for column in staged_column_names(table_name) %}
        {{ staged }}.{{ column }},
        {%- for carried_column in carried.get(column, []) %}
        {{ known_rows_name(column) }}.{{ carried_column }},
        {%- endfor %}
        {%- endfor %}
        {%- if convert_amount %}
        fx_rate_ranges.rate_to_reporting as fx_rate,
        {%- endif %}
        case
            {%- for key_column in references %}
            when {{ staged }}.{{ key_column }} is not null and {{ known_rows_name(key_column) }}.{{ key_column }} is null
                then {{ unknown_reference_reason(staged ~ '.' ~ key_column) }}
            {%- endfor %}
            {%- if convert_amount %}
            when fx_rate_ranges.rate_to_reporting is null
                then {{ no_exchange_rate_reason(staged ~ '.currency', rate_day) }}
            {%- endif %}
        end as rejection_reason
    from {{ staged }}
    {%- for key_column in references %}
    left join {{ known_rows_name(key_column) }}
        on {{ staged }}.{{ key_column }} = {{ known_rows_name(key_column) }}.{{ key_column }}
    {%- endfor %}
    {%- if convert_amount %}
    {{ fx_rate_join(staged ~ '.currency', rate_day) }}
    {%- endif %}
),

final as (
    select
        {%- if convert_amount %}
        *,
        {{ convert_money('amount', 'fx_rate') }} as amount_reporting
        {%- else %}
        *
        {%- endif %}
    from checked
)

select * from final
{%- endmacro %}

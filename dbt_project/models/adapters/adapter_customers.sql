-- The raw contract's customers as the selected adapter derives them, every value as text (read_raw reads
-- them instead of the landing folder when var source is an adapter; docs/adapters.md). stripe: one per
-- usable customer row (deleted customers kept: their history is real), industry and employee_count from
-- metadata (employee_count only when it is an integer). periods: the landing folder's customers table in the
-- contract's format as it is, plus one customer per other customer_id of the usable periods, created at its
-- earliest start_date 00:00:00Z. contract: empty.
{%- set stripe_customers = ref('stg_stripe__customers') %}
{%- set periods = ref('stg_periods__subscription_periods') %}
{%- set contract_customers = source('billing', 'customers') %}
{%- if source_kind() == 'stripe' %}
with customers as (
    select * from {{ stripe_customers }}
    where ignored_as is null and rejection_reason is null
),

final as (
    select
        id as customer_id,
        name as customer_name,
        {{ timestamp_text('created') }} as created_at,
        address_country as country,
        {{ json_text('metadata', 'industry') }} as industry,
        case
            when {{ parse_as('integer', json_text('metadata', 'employee_count')) }} is not null
                then {{ json_text('metadata', 'employee_count') }}
        end as employee_count
    from customers
)

select * from final
{%- elif source_kind() == 'periods' %}
with file_customers as (
    select * from {{ read_source_table(raw_table_definition('customers')) if execute else '(select 1)' }} as listed
),

period_customers as (
    select
        customer_id,
        min(start_date) as first_start_date
    from {{ periods }}
    where ignored_as is null and rejection_reason is null
    group by customer_id
),

final as (
    select
        customer_id,
        customer_name,
        created_at,
        country,
        industry,
        employee_count
    from file_customers
    union all
    select
        period_customers.customer_id,
        cast(null as {{ text_type() }}) as customer_name,
        {{ as_text('period_customers.first_start_date') }} || 'T00:00:00Z' as created_at,
        cast(null as {{ text_type() }}) as country,
        cast(null as {{ text_type() }}) as industry,
        cast(null as {{ text_type() }}) as employee_count
    from period_customers
    where period_customers.customer_id not in (
        select trim(file_customers.customer_id) from file_customers
        where nullif(trim(file_customers.customer_id), '') is not null
    )
)

select * from final
{%- else %}
{{ adapter_no_rows('customers') }}
{%- endif %}

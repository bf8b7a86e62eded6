{{ per_customer_incremental_config() }}
-- One-time charges that passed staging, checked against customers and exchange rates, converted to the
-- reporting currency at the rate of the UTC day charged. Never MRR; part of expansion revenue.
-- rejection_reason is set on charges for an unknown customer or in a currency with no rate.
with staged_charges as (
    select
        *,
        cast(charged_at as date) as charged_on
    from {{ ref('stg_billing__one_time_charges') }}
    where rejection_reason is null
        and {{ in_build_scope('customer_id') }}
),

known_customers as (
    select customer_id from {{ ref('stg_billing__customers') }}
    where rejection_reason is null
),

fx_rate_ranges as (
    select * from {{ ref('int_fx_rate_ranges') }}
),

checked as (
    select
        staged_charges.charge_id,
        staged_charges.customer_id,
        staged_charges.charged_at,
        staged_charges.amount,
        staged_charges.currency,
        staged_charges.category,
        fx_rate_ranges.rate_to_reporting as fx_rate,
        case
            when known_customers.customer_id is null
                then {{ unknown_reference_reason('staged_charges.customer_id') }}
            when fx_rate_ranges.rate_to_reporting is null
                then {{ no_exchange_rate_reason('staged_charges.currency', 'staged_charges.charged_on') }}
        end as rejection_reason
    from staged_charges
    left join known_customers
        on staged_charges.customer_id = known_customers.customer_id
    {{ fx_rate_join('staged_charges.currency', 'staged_charges.charged_on') }}
),

final as (
    select
        *,
        {{ convert_money('amount', 'fx_rate') }} as amount_reporting
    from checked
)

select * from final

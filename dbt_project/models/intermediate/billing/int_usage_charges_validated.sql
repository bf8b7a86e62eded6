{{ per_customer_incremental_config() }}
-- Usage charges that passed staging, checked against customers, plans and exchange rates, converted to
-- the reporting currency at the rate of period_start (latest rate_date on or before it).
-- rejection_reason is set on charges for an unknown customer or plan, or in a currency with no rate.
with staged_charges as (
    select * from {{ ref('stg_billing__usage_charges') }}
    where rejection_reason is null
        and {{ in_build_scope('customer_id') }}
),

known_customers as (
    select customer_id from {{ ref('stg_billing__customers') }}
    where rejection_reason is null
),

plans as (
    select
        plan_id,
        product_id
    from {{ ref('int_plans_validated') }}
    where rejection_reason is null
),

fx_rate_ranges as (
    select * from {{ ref('int_fx_rate_ranges') }}
),

checked as (
    select
        staged_charges.charge_id,
        staged_charges.customer_id,
        staged_charges.item_id,
        staged_charges.plan_id,
        plans.product_id,
        staged_charges.period_start,
        staged_charges.period_end,
        staged_charges.usage_quantity,
        staged_charges.amount,
        staged_charges.currency,
        fx_rate_ranges.rate_to_reporting as fx_rate,
        case
            when known_customers.customer_id is null
                then {{ unknown_reference_reason('staged_charges.customer_id') }}
            when plans.plan_id is null
                then {{ unknown_reference_reason('staged_charges.plan_id') }}
            when fx_rate_ranges.rate_to_reporting is null
                then {{ no_exchange_rate_reason('staged_charges.currency', 'staged_charges.period_start') }}
        end as rejection_reason
    from staged_charges
    left join known_customers
        on staged_charges.customer_id = known_customers.customer_id
    left join plans
        on staged_charges.plan_id = plans.plan_id
    {{ fx_rate_join('staged_charges.currency', 'staged_charges.period_start') }}
),

final as (
    select
        *,
        {{ convert_money('amount', 'fx_rate') }} as amount_reporting
    from checked
)

select * from final

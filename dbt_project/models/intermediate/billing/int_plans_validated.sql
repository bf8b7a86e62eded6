-- Plans that passed staging, checked against products: a plan of an unknown (or rejected) product is
-- rejected, and so are the events and charges that use it.
with staged_plans as (
    select * from {{ ref('stg_billing__plans') }}
    where rejection_reason is null
),

known_products as (
    select
        product_id,
        product_type
    from {{ ref('stg_billing__products') }}
    where rejection_reason is null
),

final as (
    select
        staged_plans.plan_id,
        staged_plans.product_id,
        known_products.product_type,
        staged_plans.plan_name,
        staged_plans.tier_rank,
        staged_plans.pricing_model,
        staged_plans.billing_interval,
        staged_plans.billing_interval_count,
        staged_plans.list_price,
        staged_plans.currency,
        case
            when known_products.product_id is null
                then {{ unknown_reference_reason('staged_plans.product_id') }}
        end as rejection_reason
    from staged_plans
    left join known_products
        on staged_plans.product_id = known_products.product_id
)

select * from final

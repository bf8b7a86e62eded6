{{ per_customer_incremental_config() }}
-- Usage snapshots that passed staging, checked against customers and products.
with staged_snapshots as (
    select * from {{ ref('stg_billing__usage_snapshots') }}
    where rejection_reason is null
        and {{ in_build_scope('customer_id') }}
),

known_customers as (
    select customer_id from {{ ref('stg_billing__customers') }}
    where rejection_reason is null
),

known_products as (
    select product_id from {{ ref('stg_billing__products') }}
    where rejection_reason is null
),

final as (
    select
        staged_snapshots.customer_id,
        staged_snapshots.product_id,
        staged_snapshots.snapshot_date,
        staged_snapshots.metric,
        staged_snapshots.metric_value,
        case
            when known_customers.customer_id is null
                then {{ unknown_reference_reason('staged_snapshots.customer_id') }}
            when known_products.product_id is null
                then {{ unknown_reference_reason('staged_snapshots.product_id') }}
        end as rejection_reason
    from staged_snapshots
    left join known_customers
        on staged_snapshots.customer_id = known_customers.customer_id
    left join known_products
        on staged_snapshots.product_id = known_products.product_id
)

select * from final

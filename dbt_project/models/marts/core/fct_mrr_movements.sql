{{ per_customer_incremental_config('marts') }}
-- One row per customer and month in which the customer's month-end MRR changed (delta <> 0), with the
-- movement type (metrics spec §2, tested in this order: new, reactivation, churn, expansion,
-- contraction) and the signed mechanism amounts (§3), which are filled on expansion and contraction
-- rows, sum exactly to delta there, and are 0 on new, reactivation and churn rows.
with customer_changes as (
    select * from {{ ref('int_customer_mrr_changes') }}
    where month <= {{ as_of_month() }}
        and {{ in_build_scope('customer_id', 'marts') }}
),

first_active as (
    select
        customer_id,
        min(month) as first_active_month
    from customer_changes
    where mrr_end > 0
    group by customer_id
),

classified as (
    select
        customer_changes.*,
        case
            when customer_changes.mrr_start = 0 and customer_changes.month = first_active.first_active_month
                then 'new'
            when customer_changes.mrr_start = 0 then 'reactivation'
            when customer_changes.mrr_end = 0 then 'churn'
            when customer_changes.mrr_end > customer_changes.mrr_start then 'expansion'
            else 'contraction'
        end as movement_type
    from customer_changes
    inner join first_active
        on customer_changes.customer_id = first_active.customer_id
    where customer_changes.delta <> 0
),

final as (
    select
        month,
        customer_id,
        movement_type,
        mrr_start,
        mrr_end,
        delta,
        {%- for mechanism in ['cross_sell', 'product_churn', 'add_on', 'seat', 'upsell', 'downgrade', 'price', 'usage'] %}
        case
            when movement_type in ('expansion', 'contraction') then {{ mechanism }}_mrr
            else cast(0 as {{ money_type() }})
        end as {{ mechanism }}_mrr{{ "," if not loop.last }}
        {%- endfor %}
    from classified
)

select * from final

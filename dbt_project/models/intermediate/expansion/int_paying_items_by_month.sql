-- The paying items of each customer at the end of each expansion-intelligence month (int_expansion_months):
-- the item state in effect at the month-end (first_month_in_effect <= M < end_month_exclusive) that counts
-- as paying (macro is_paying_item_state, the states that make MRR at a month-end), with its plan and MRR.
-- What limits, estimates, product breadth and the single_product trigger read.
with months as (
    select month from {{ ref('int_expansion_months') }}
),

paying_item_states as (
    select * from {{ ref('int_item_mrr') }}
    where {{ is_paying_item_state() }}
),

final as (
    select
        months.month,
        paying_item_states.customer_id,
        paying_item_states.item_id,
        paying_item_states.product_id,
        paying_item_states.product_type,
        paying_item_states.plan_id,
        paying_item_states.tier_rank,
        paying_item_states.pricing_model,
        paying_item_states.quantity,
        paying_item_states.currency,
        paying_item_states.fx_rate,
        paying_item_states.item_mrr
    from paying_item_states
    inner join months
        on paying_item_states.first_month_in_effect <= months.month
        and (
            paying_item_states.end_month_exclusive > months.month
            or paying_item_states.end_month_exclusive is null
        )
)

select * from final

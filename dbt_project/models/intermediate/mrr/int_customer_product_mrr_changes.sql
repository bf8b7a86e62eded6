{{ per_customer_incremental_config() }}
-- The month-end state of each customer's products, kept only for the months in which it changes
-- (so the cost follows the number of subscription changes, not customers x months). Each item state
-- adds its MRR, units and tier weight at its first month-end in effect and removes them at its end
-- month; each month of usage MRR is added in its month and removed the month after. Running sums give
-- the levels at the end of the month (_end) and, from the previous change, at the end of M-1 (_start).
-- Only paying item states (macro is_paying_item_state: MRR > 0, in effect at a month-end) count as held:
-- trialing, paused, ended and 100 %-discounted items do not.
-- Change points after the as-of month are kept (known future changes, usage removed the month after);
-- every reader cuts at the as-of month, so incremental builds do not depend on the as-of date.
-- tier_weight = tier_rank x units, so tier_weight / units is the product's quantity-weighted tier.
with paying_item_states as (
    select * from {{ ref('int_item_mrr') }}
    where {{ is_paying_item_state() }}
        and {{ in_build_scope('customer_id') }}
),

usage_mrr as (
    select * from {{ ref('int_usage_mrr_by_month') }}
    where {{ in_build_scope('customer_id') }}
),

contributions as (
    select
        customer_id,
        product_id,
        first_month_in_effect as month,
        item_mrr as recurring_mrr_change,
        billable_units as units_change,
        tier_rank * billable_units as tier_weight_change,
        cast(0 as {{ money_type() }}) as usage_mrr_change
    from paying_item_states
    union all
    select
        customer_id,
        product_id,
        end_month_exclusive as month,
        -item_mrr as recurring_mrr_change,
        -billable_units as units_change,
        -tier_rank * billable_units as tier_weight_change,
        cast(0 as {{ money_type() }}) as usage_mrr_change
    from paying_item_states
    where end_month_exclusive is not null
    union all
    select
        customer_id,
        product_id,
        month,
        cast(0 as {{ money_type() }}) as recurring_mrr_change,
        0 as units_change,
        0 as tier_weight_change,
        usage_mrr as usage_mrr_change
    from usage_mrr
    union all
    select
        customer_id,
        product_id,
        {{ add_months('month', 1) }} as month,
        cast(0 as {{ money_type() }}) as recurring_mrr_change,
        0 as units_change,
        0 as tier_weight_change,
        -usage_mrr as usage_mrr_change
    from usage_mrr
),

monthly_changes as (
    select
        customer_id,
        product_id,
        month,
        sum(recurring_mrr_change) as recurring_mrr_change,
        sum(units_change) as units_change,
        sum(tier_weight_change) as tier_weight_change,
        sum(usage_mrr_change) as usage_mrr_change
    from contributions
    group by
        customer_id,
        product_id,
        month
),

levels as (
    select
        customer_id,
        product_id,
        month,
        sum(recurring_mrr_change) over product_history as recurring_mrr_end,
        sum(units_change) over product_history as units_end,
        sum(tier_weight_change) over product_history as tier_weight_end,
        sum(usage_mrr_change) over product_history as usage_mrr_end
    from monthly_changes
    window product_history as (
        partition by customer_id, product_id
        order by month
        rows between unbounded preceding and current row
    )
),

with_start as (
    select
        levels.*,
        coalesce(lag(levels.recurring_mrr_end) over product_months, 0) as recurring_mrr_start,
        coalesce(lag(levels.units_end) over product_months, 0) as units_start,
        coalesce(lag(levels.tier_weight_end) over product_months, 0) as tier_weight_start,
        coalesce(lag(levels.usage_mrr_end) over product_months, 0) as usage_mrr_start
    from levels
    window product_months as (partition by levels.customer_id, levels.product_id order by levels.month)
),

final as (
    select
        with_start.customer_id,
        with_start.product_id,
        products.product_type,
        with_start.month,
        cast(with_start.recurring_mrr_start as {{ money_type() }}) as recurring_mrr_start,
        cast(with_start.recurring_mrr_end as {{ money_type() }}) as recurring_mrr_end,
        cast(with_start.units_start as decimal(38, 6)) as units_start,
        cast(with_start.units_end as decimal(38, 6)) as units_end,
        cast(with_start.tier_weight_start as decimal(38, 6)) as tier_weight_start,
        cast(with_start.tier_weight_end as decimal(38, 6)) as tier_weight_end,
        cast(with_start.usage_mrr_start as {{ money_type() }}) as usage_mrr_start,
        cast(with_start.usage_mrr_end as {{ money_type() }}) as usage_mrr_end
    from with_start
    inner join {{ ref('stg_billing__products') }} as products
        on with_start.product_id = products.product_id
        and products.rejection_reason is null
)

select * from final

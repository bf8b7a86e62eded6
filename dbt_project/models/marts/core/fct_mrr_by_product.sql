{{ per_customer_incremental_config('marts') }}
-- Customer MRR by product at each month-end, one row per customer, product and month from the first month the
-- customer held the product (MRR > 0) through the as-of month (months after the product was dropped
-- included, with mrr 0). The level of a month is the one set by the latest change on or before it, as in
-- fct_mrr, whose MRR is the sum of these rows (test assert_product_mrr_adds_up_to_fct_mrr).
with product_changes as (
    select
        customer_id,
        product_id,
        product_type,
        month,
        recurring_mrr_end,
        usage_mrr_end
    from {{ ref('int_customer_product_mrr_changes') }}
    where month <= {{ as_of_month() }}
        and {{ in_build_scope('customer_id', 'marts') }}
),

months as (
    select month from {{ ref('int_months') }}
),

first_held_months as (
    select
        customer_id,
        product_id,
        min(month) as first_month
    from product_changes
    where recurring_mrr_end + usage_mrr_end > 0
    group by
        customer_id,
        product_id
),

level_ranges as (
    select
        product_changes.customer_id,
        product_changes.product_id,
        product_changes.product_type,
        product_changes.month as valid_from_month,
        {{ next_change_month('product_changes', ['customer_id', 'product_id']) }} as valid_until_month,
        product_changes.recurring_mrr_end as recurring_mrr,
        product_changes.usage_mrr_end as usage_mrr
    from product_changes
    inner join first_held_months
        on product_changes.customer_id = first_held_months.customer_id
        and product_changes.product_id = first_held_months.product_id
        and product_changes.month >= first_held_months.first_month
),

final as (
    select
        months.month,
        level_ranges.customer_id,
        level_ranges.product_id,
        level_ranges.product_type,
        cast(level_ranges.recurring_mrr as {{ money_type() }}) as recurring_mrr,
        cast(level_ranges.usage_mrr as {{ money_type() }}) as usage_mrr,
        cast(level_ranges.recurring_mrr + level_ranges.usage_mrr as {{ money_type() }}) as mrr,
        {{ is_complete_month('months.month') }} as is_complete
    from level_ranges
    inner join months
        on {{ level_holds_in_month('level_ranges', 'months.month') }}
)

select * from final

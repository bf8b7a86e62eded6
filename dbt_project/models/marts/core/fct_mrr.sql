{{ per_customer_incremental_config('marts') }}
-- Customer MRR at each month-end, one row per customer and month from the customer's first active
-- month through the as-of month (months after churn included, with mrr 0). The level of a month is
-- the one set by the customer's latest change on or before it.
with customer_changes as (
    {{ customer_changes_through_as_of(per_customer_mart=true) }}
),

months as (
    select month from {{ ref('int_months') }}
),

lifecycles as (
    select
        customer_id,
        first_active_month
    from {{ ref('int_customer_lifecycles') }}
),

level_ranges as (
    select
        customer_changes.customer_id,
        customer_changes.month as valid_from_month,
        {{ next_change_month('customer_changes', ['customer_id']) }} as valid_until_month,
        customer_changes.mrr_end as mrr
    from customer_changes
    inner join lifecycles
        on customer_changes.customer_id = lifecycles.customer_id
        and customer_changes.month >= lifecycles.first_active_month
),

final as (
    select
        months.month,
        level_ranges.customer_id,
        level_ranges.mrr,
        level_ranges.mrr * 12 as arr,
        level_ranges.mrr > 0 as is_active,
        {{ is_complete_month('months.month') }} as is_complete
    from level_ranges
    inner join months
        on {{ level_holds_in_month('level_ranges', 'months.month') }}
)

select * from final

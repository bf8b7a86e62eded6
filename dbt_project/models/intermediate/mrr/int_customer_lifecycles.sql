-- One row per customer that was active (MRR > 0 at a month-end) in some month through the as-of month: the
-- firsts of its life as a paying customer, computed once for every mart and test that needs them.
--   first_active_month     the first month-end with MRR > 0 (the cohort)
--   first_active_day       the UTC day its first paying item state began, or the period_start of its first
--                          usage charge if earlier, never before its first active month
--   first_expansion_month  the first month whose movement is an expansion
--   first_upsell_month     the first month whose movement is split into mechanisms with upsell_mrr > 0
-- A table rebuilt on every build (it depends on the as-of month), from the per-customer models that
-- incremental builds keep current.
with customer_changes as (
    {{ customer_changes_through_as_of() }}
),

first_active_months as (
    select
        customer_id,
        min(month) as first_active_month
    from customer_changes
    where mrr_end > 0
    group by customer_id
),

first_paying_item_days as (
    select
        customer_id,
        min(cast(valid_from as date)) as first_day
    from {{ ref('int_item_mrr') }}
    where {{ is_paying_item_state() }}
    group by customer_id
),

first_usage_days as (
    select
        customer_id,
        min(period_start) as first_day
    from {{ ref('int_usage_charges_validated') }}
    where rejection_reason is null
        and amount_reporting > 0
    group by customer_id
),

movements as (
    -- new and reactivation are not told apart here: only expansion and contraction months are looked for
    select
        customer_id,
        month,
        upsell_mrr,
        {{ movement_type('mrr_start', 'mrr_end', is_first_active_month='false') }} as movement_type
    from customer_changes
    where delta <> 0
),

first_movements as (
    select
        customer_id,
        min(case when movement_type = 'expansion' then month end) as first_expansion_month,
        min(case when {{ is_split_into_mechanisms('movement_type') }} and upsell_mrr > 0 then month end)
            as first_upsell_month
    from movements
    group by customer_id
),

final as (
    select
        first_active_months.customer_id,
        first_active_months.first_active_month,
        greatest(
            first_active_months.first_active_month,
            coalesce(
                least(first_paying_item_days.first_day, first_usage_days.first_day),
                first_paying_item_days.first_day,
                first_usage_days.first_day,
                first_active_months.first_active_month
            )
        ) as first_active_day,
        first_movements.first_expansion_month,
        first_movements.first_upsell_month
    from first_active_months
    {{ left_join_each(
        'first_active_months', ['first_paying_item_days', 'first_usage_days', 'first_movements'], 'customer_id'
    ) }}
)

select * from final

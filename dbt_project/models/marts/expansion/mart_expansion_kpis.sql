-- Expansion KPIs by month (metrics spec §5). Definitions that needed a choice (DECISIONS.md D-18):
--   one_time_revenue_existing: validated one-time charges (amount in the reporting currency) charged in M
--     by customers whose first active month is before M
--   upsell: a customer-month with upsell_mrr > 0 (a product held in both months moved to a higher tier)
--   upsell change: one product of such a customer-month whose quantity-weighted tier rose while it was
--     held (recurring MRR > 0) at both month-ends; counted per customer × product, not per raw item
--   first active day, first upsell and expansion months: int_customer_lifecycles
--   day of the first upsell / expansion: the last day of that month (the month-end snapshot that shows it)
with bridge as (
    {{ mrr_bridge_total() }}
),

upsell_movements as (
    select
        month,
        customer_id,
        upsell_mrr
    from {{ ref('fct_mrr_movements') }}
    where upsell_mrr > 0
),

customer_firsts as (
    select
        first_upsell_month,
        first_expansion_month,
        {{ days_between('first_active_day', add_months('first_upsell_month', 1)) }} - 1 as days_to_first_upsell,
        {{ days_between('first_active_day', add_months('first_expansion_month', 1)) }} - 1
            as days_to_first_expansion
    from {{ ref('int_customer_lifecycles') }}
),

days_to_first_upsell as (
    select
        first_upsell_month as month,
        count(*) as customers,
        sum(days_to_first_upsell) as total_days
    from customer_firsts
    where first_upsell_month is not null
    group by first_upsell_month
),

days_to_first_expansion as (
    select
        first_expansion_month as month,
        {{ median('days_to_first_expansion') }} as median_days
    from customer_firsts
    where first_expansion_month is not null
    group by first_expansion_month
),

upsell_changes as (
    select
        product_changes.month,
        count(*) as upsell_changes
    from {{ ref('int_customer_product_mrr_changes') }} as product_changes
    inner join upsell_movements
        on product_changes.customer_id = upsell_movements.customer_id
        and product_changes.month = upsell_movements.month
    where product_changes.month <= {{ as_of_month() }}
        and product_changes.recurring_mrr_start > 0
        and product_changes.recurring_mrr_end > 0
        and product_changes.tier_weight_end * product_changes.units_start
        > product_changes.tier_weight_start * product_changes.units_end
    group by product_changes.month
),

upsell_amounts as (
    select
        month,
        count(*) as upsell_customers,
        sum(upsell_mrr) as upsell_mrr
    from upsell_movements
    group by month
),

one_time_revenue as (
    select
        {{ month_start('charges.charged_at') }} as month,
        sum(charges.amount_reporting) as one_time_revenue_existing
    from {{ ref('int_one_time_charges_validated') }} as charges
    inner join {{ ref('int_customer_lifecycles') }} as lifecycles
        on charges.customer_id = lifecycles.customer_id
        and lifecycles.first_active_month < {{ month_start('charges.charged_at') }}
    where charges.rejection_reason is null
    group by {{ month_start('charges.charged_at') }}
),

combined as (
    select
        bridge.month,
        bridge.mrr_start,
        bridge.new_mrr,
        bridge.reactivation_mrr,
        bridge.expansion_mrr,
        lag(bridge.expansion_mrr) over (order by bridge.month) as previous_expansion_mrr,
        coalesce(one_time_revenue.one_time_revenue_existing, 0) as one_time_revenue_existing,
        bridge.customers_start,
        coalesce(upsell_amounts.upsell_customers, 0) as upsell_customers,
        upsell_amounts.upsell_mrr,
        upsell_changes.upsell_changes,
        days_to_first_upsell.customers as first_upsell_customers,
        days_to_first_upsell.total_days as first_upsell_total_days,
        days_to_first_expansion.median_days as median_days_to_first_expansion
    from bridge
    {{ left_join_each('bridge', [
        'one_time_revenue', 'upsell_amounts', 'upsell_changes', 'days_to_first_upsell', 'days_to_first_expansion'
    ], 'month') }}
),

final as (
    select
        month,
        cast(expansion_mrr as {{ money_type() }}) as expansion_mrr,
        {{ ratio('100 * expansion_mrr', 'mrr_start') }} as expansion_rate_pct,
        {{ ratio('100 * (expansion_mrr - previous_expansion_mrr)', 'previous_expansion_mrr') }}
            as expansion_mrr_growth_pct,
        cast(expansion_mrr + one_time_revenue_existing as {{ money_type() }}) as expansion_revenue,
        cast(one_time_revenue_existing as {{ money_type() }}) as one_time_revenue_existing,
        {{ ratio('expansion_mrr', 'new_mrr + reactivation_mrr + expansion_mrr') }} as expansion_share_of_new_arr,
        {{ ratio('100 * upsell_customers', 'customers_start') }} as upsell_conversion_rate_pct,
        case
            when upsell_changes > 0 then {{ exact_divide('upsell_mrr', 'upsell_changes') }}
        end as average_upgrade_value,
        {{ ratio('first_upsell_total_days', 'first_upsell_customers') }} as avg_days_to_first_upsell,
        median_days_to_first_expansion,
        {{ is_complete_month('month') }} as is_complete
    from combined
)

select * from final

-- How well each expansion trigger predicts an expansion, per month M with 90 days of future (M + 3 months
-- <= the scoring month S) and trigger (every trigger of macro expansion_triggers, zeros included):
--   customers_triggered       distinct customers with the trigger in M (int_expansion_triggers)
--   customers_expanded_90d    of those, the customers with an expansion in M+1..M+3 (int_product_expansions)
--                             on a product the trigger fired for (limit triggers) or on any product
--                             (single_product)
--   baseline_conversion_rate  among the customers active at the end of M for whom the trigger did not
--                             fire in M, the share with an expansion on any product in M+1..M+3
--   conversion_rate = customers_expanded_90d / customers_triggered; lift = conversion_rate /
--   baseline_conversion_rate (one exact division); rates by macro ratio (null on a zero denominator).
with months as (
    select month from {{ ref('int_expansion_months') }}
    where has_90_days_of_future
),

trigger_names as (
    {{ listed_values('trigger', expansion_triggers()) }}
),

triggers as (
    select expansion_triggers.*
    from {{ ref('int_expansion_triggers') }} as expansion_triggers
    inner join months
        on expansion_triggers.month = months.month
),

product_expansions as (
    select * from {{ ref('int_product_expansions') }}
),

active_customers as (
    -- int_customer_health has one row per customer active at the end of M: the same set, decided once
    select
        customer_health.month,
        customer_health.customer_id
    from {{ ref('int_customer_health') }} as customer_health
    inner join months
        on customer_health.month = months.month
),

expanded_any_product as (
    -- active customers of M with an expansion on any product in M+1..M+3
    select distinct
        active_customers.month,
        active_customers.customer_id
    from active_customers
    inner join product_expansions
        on active_customers.customer_id = product_expansions.customer_id
        and active_customers.month < product_expansions.month
        and {{ add_months('active_customers.month', 3) }} >= product_expansions.month
),

triggered_customers as (
    select
        triggers.month,
        triggers.trigger,
        triggers.customer_id,
        max(
            case
                when triggers.trigger = 'single_product' and expanded_any_product.customer_id is not null then 1
                when triggers.trigger <> 'single_product' and product_expansions.customer_id is not null then 1
                else 0
            end
        ) as has_expanded
    from triggers
    left join expanded_any_product
        on triggers.month = expanded_any_product.month
        and triggers.customer_id = expanded_any_product.customer_id
    left join product_expansions
        on triggers.customer_id = product_expansions.customer_id
        and triggers.product_id = product_expansions.product_id
        and triggers.month < product_expansions.month
        and {{ add_months('triggers.month', 3) }} >= product_expansions.month
    group by
        triggers.month,
        triggers.trigger,
        triggers.customer_id
),

triggered_totals as (
    select
        month,
        trigger,
        count(*) as customers_triggered,
        sum(has_expanded) as customers_expanded_90d
    from triggered_customers
    group by
        month,
        trigger
),

active_totals as (
    select
        active_customers.month,
        count(*) as customers_active,
        count(expanded_any_product.customer_id) as customers_expanded
    from active_customers
    left join expanded_any_product
        on active_customers.month = expanded_any_product.month
        and active_customers.customer_id = expanded_any_product.customer_id
    group by active_customers.month
),

triggered_expanded_any as (
    -- per trigger, the triggered customers that expanded on any product: taken out of the baseline
    select
        triggered_customers.month,
        triggered_customers.trigger,
        count(*) as customers_triggered,
        count(expanded_any_product.customer_id) as customers_expanded
    from triggered_customers
    left join expanded_any_product
        on triggered_customers.month = expanded_any_product.month
        and triggered_customers.customer_id = expanded_any_product.customer_id
    group by
        triggered_customers.month,
        triggered_customers.trigger
),

grid as (
    select
        months.month,
        trigger_names.trigger,
        coalesce(triggered_totals.customers_triggered, 0) as customers_triggered,
        coalesce(triggered_totals.customers_expanded_90d, 0) as customers_expanded_90d,
        coalesce(active_totals.customers_active, 0) - coalesce(triggered_expanded_any.customers_triggered, 0)
            as baseline_customers,
        coalesce(active_totals.customers_expanded, 0) - coalesce(triggered_expanded_any.customers_expanded, 0)
            as baseline_customers_expanded
    from months
    cross join trigger_names
    left join triggered_totals
        on months.month = triggered_totals.month
        and trigger_names.trigger = triggered_totals.trigger
    left join active_totals
        on months.month = active_totals.month
    left join triggered_expanded_any
        on months.month = triggered_expanded_any.month
        and trigger_names.trigger = triggered_expanded_any.trigger
),

final as (
    select
        month,
        cast(trigger as {{ text_type() }}) as trigger,
        cast(customers_triggered as bigint) as customers_triggered,
        cast(customers_expanded_90d as bigint) as customers_expanded_90d,
        {{ ratio('customers_expanded_90d', 'customers_triggered') }} as conversion_rate,
        {{ ratio('baseline_customers_expanded', 'baseline_customers') }} as baseline_conversion_rate,
        {{ ratio(
            'customers_expanded_90d * baseline_customers',
            'customers_triggered * baseline_customers_expanded'
        ) }} as lift,
        {{ is_complete_month('month') }} as is_complete
    from grid
)

select * from final

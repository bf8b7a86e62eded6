-- The health score validated, not assumed: per month M with 90 days of future (M + 3 months <= the
-- scoring month S) and health quintile (ntile(5) over the month's active customers ordered by
-- health_score, then customer_id: 1 = least healthy, 5 = healthiest), the customers, the share with a
-- churn movement in M+1..M+3 (churn_rate_90d, logo churn) and the share with an expansion movement
-- (customer level, fct_mrr_movements) in M+1..M+3 (expansion_rate_90d). docs/expansion_intelligence.md.
with months as (
    select month from {{ ref('int_expansion_months') }}
    where has_90_days_of_future
),

quintiles as (
    select
        health.month,
        health.customer_id,
        ntile(5) over (partition by health.month order by health.health_score, health.customer_id) as quintile
    from {{ ref('int_customer_health') }} as health
    inner join months
        on health.month = months.month
),

movements as (
    select
        customer_id,
        month,
        movement_type
    from {{ ref('fct_mrr_movements') }}
    where movement_type in ('churn', 'expansion')
),

outcomes as (
    select
        quintiles.month,
        quintiles.quintile,
        quintiles.customer_id,
        max(case when movements.movement_type = 'churn' then 1 else 0 end) as has_churned,
        max(case when movements.movement_type = 'expansion' then 1 else 0 end) as has_expanded
    from quintiles
    left join movements
        on quintiles.customer_id = movements.customer_id
        and quintiles.month < movements.month
        and {{ add_months('quintiles.month', 3) }} >= movements.month
    group by
        quintiles.month,
        quintiles.quintile,
        quintiles.customer_id
),

totals as (
    select
        month,
        quintile,
        count(*) as customers,
        sum(has_churned) as customers_churned,
        sum(has_expanded) as customers_expanded
    from outcomes
    group by
        month,
        quintile
),

final as (
    select
        month,
        cast(quintile as integer) as quintile,
        cast(customers as bigint) as customers,
        {{ ratio('customers_churned', 'customers') }} as churn_rate_90d,
        {{ ratio('customers_expanded', 'customers') }} as expansion_rate_90d,
        {{ is_complete_month('month') }} as is_complete
    from totals
)

select * from final

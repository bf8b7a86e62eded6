-- Limit, usage, utilisation and 90-day projection per customer x product x metric x month
-- (docs/expansion_intelligence.md), for every metric that has a limit on the plan of at least one of the
-- customer's paying items of the product at the end of M:
--   limit_value_total   = sum over those items of limit_value x (quantity if per_unit_limit else 1)
--   utilization         = monthly usage / limit_value_total (macro ratio, 10 decimals); null when the
--                         limit is 0 or there is no usage in M
--   projected_usage_90d = usage(M) + 3 x slope, slope = least-squares slope over M-2, M-1, M
--                         = (usage(M) - usage(M-2)) / 2, exact; null unless all three months have usage
-- The trigger conditions are kept as exact decimal comparisons (never a rounded ratio): reaches_limit
-- (usage >= limit), at_80_pct_of_limit (5 x usage >= 4 x limit), projected_to_reach_limit (projection >=
-- limit), each false when the limit is 0 or there is no usage.
with items as (
    select * from {{ ref('int_paying_items_by_month') }}
),

plan_limits as (
    {{ accepted_rows(ref('int_plan_limits_validated')) }}
),

usage_by_month as (
    select * from {{ ref('int_usage_by_month') }}
),

limits as (
    select
        items.month,
        items.customer_id,
        items.product_id,
        plan_limits.metric,
        sum(
            cast(plan_limits.limit_value as decimal(20, 6))
            * cast(case when plan_limits.per_unit_limit then items.quantity else 1 end as decimal(18, 6))
        ) as limit_value_total
    from items
    inner join plan_limits
        on items.plan_id = plan_limits.plan_id
    group by
        items.month,
        items.customer_id,
        items.product_id,
        plan_limits.metric
),

with_usage as (
    select
        limits.month,
        limits.customer_id,
        limits.product_id,
        limits.metric,
        cast(round(limits.limit_value_total, 6) as decimal(38, 6)) as limit_value_total,
        usage_now.monthly_usage,
        -- the cast outside the case keeps the type decimal(38, 7) (a case drops PostgreSQL's typmod)
        cast(
            case
                when usage_now.monthly_usage is not null
                    and usage_last_month.monthly_usage is not null
                    and usage_two_months_ago.monthly_usage is not null
                    then (
                        5 * cast(usage_now.monthly_usage as decimal(30, 6))
                        - 3 * cast(usage_two_months_ago.monthly_usage as decimal(30, 6))
                    ) * 0.5
            end
            as decimal(38, 7)
        ) as projected_usage_90d
    from limits
    left join usage_by_month as usage_now
        on limits.customer_id = usage_now.customer_id
        and limits.product_id = usage_now.product_id
        and limits.metric = usage_now.metric
        and limits.month = usage_now.month
    left join usage_by_month as usage_last_month
        on limits.customer_id = usage_last_month.customer_id
        and limits.product_id = usage_last_month.product_id
        and limits.metric = usage_last_month.metric
        and {{ add_months('limits.month', -1) }} = usage_last_month.month
    left join usage_by_month as usage_two_months_ago
        on limits.customer_id = usage_two_months_ago.customer_id
        and limits.product_id = usage_two_months_ago.product_id
        and limits.metric = usage_two_months_ago.metric
        and {{ add_months('limits.month', -2) }} = usage_two_months_ago.month
),

final as (
    select
        month,
        customer_id,
        product_id,
        metric,
        monthly_usage,
        limit_value_total,
        cast(
            case when limit_value_total > 0 then {{ ratio('monthly_usage', 'limit_value_total') }} end
            as decimal(38, 10)
        ) as utilization,
        projected_usage_90d,
        coalesce(limit_value_total > 0 and monthly_usage >= limit_value_total, false) as reaches_limit,
        coalesce(limit_value_total > 0 and 5 * monthly_usage >= 4 * limit_value_total, false)
            as at_80_pct_of_limit,
        -- both sides as decimal(34, 10): Spark compares decimal(38, 7) with decimal(38, 6) at scale 6
        coalesce(
            limit_value_total > 0
            and cast(projected_usage_90d as decimal(34, 10)) >= cast(limit_value_total as decimal(34, 10)),
            false
        ) as projected_to_reach_limit
    from with_usage
)

select * from final

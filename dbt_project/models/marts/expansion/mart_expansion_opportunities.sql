-- The expansion opportunities of the scoring month S (macro scoring_month: the month before the as-of
-- month): every trigger that fires in S (int_expansion_triggers), with the customer's health score of S,
--   priority_score = coalesce(estimated_expansion_mrr, 0) x health_score / 100 (exact_divide)
--   rank           = 1, 2, ... by priority_score descending, then customer_id, product_id, trigger
-- The top 20 are rank <= 20. docs/expansion_intelligence.md.
with triggers as (
    select * from {{ ref('int_expansion_triggers') }}
    where month = {{ scoring_month() }}
),

health as (
    select
        month,
        customer_id,
        health_score
    from {{ ref('int_customer_health') }}
),

prioritised as (
    select
        triggers.*,
        health.health_score,
        {{ exact_divide('coalesce(triggers.estimated_expansion_mrr, 0) * health.health_score', '100') }}
            as priority_score
    from triggers
    inner join health
        on triggers.month = health.month
        and triggers.customer_id = health.customer_id
),

final as (
    select
        month,
        customer_id,
        product_id,
        trigger,
        metric,
        cast(round(utilization, 4) as decimal(38, 4)) as utilization,
        cast(round(projected_usage_90d, 6) as decimal(38, 6)) as projected_usage_90d,
        limit_value_total,
        health_score,
        estimated_expansion_mrr,
        priority_score,
        cast(
            row_number() over (order by priority_score desc, customer_id asc, product_id asc, trigger asc) as bigint
        ) as rank,
        {{ is_complete_month('month') }} as is_complete
    from prioritised
)

select * from final

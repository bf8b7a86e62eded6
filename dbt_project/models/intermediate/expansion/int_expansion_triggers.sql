-- Every expansion trigger that fires, one row per customer x product x trigger x month (every
-- expansion-intelligence month): the limit triggers (int_limit_triggers, at most one per customer x
-- product) and single_product (int_single_product_triggers, independent of them), with the published
-- metric, its utilisation, projection and limit (null for single_product) and the estimated expansion MRR.
with limit_triggers as (
    select * from {{ ref('int_limit_triggers') }}
),

single_product_triggers as (
    select * from {{ ref('int_single_product_triggers') }}
),

final as (
    select
        month,
        customer_id,
        product_id,
        trigger,
        metric,
        utilization,
        projected_usage_90d,
        limit_value_total,
        estimated_expansion_mrr
    from limit_triggers
    union all
    select
        month,
        customer_id,
        product_id,
        trigger,
        cast(null as {{ text_type() }}) as metric,
        cast(null as decimal(38, 10)) as utilization,
        cast(null as decimal(38, 7)) as projected_usage_90d,
        cast(null as {{ money_type() }}) as limit_value_total,
        estimated_expansion_mrr
    from single_product_triggers
)

select * from final

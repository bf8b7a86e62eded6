-- The limit triggers (docs/expansion_intelligence.md), at most one per customer x product x month, for
-- customers active at the end of M (fct_mrr.is_active), first that applies:
--   limit_reached        max utilization over the product's metrics >= 1
--   limit_approaching    0.8 <= max utilization < 1
--   limit_projected_90d  max utilization < 0.8 and projected_usage_90d >= limit_value_total on some metric
-- (exact comparisons: the flags of int_product_utilization). The published metric: for reached and
-- approaching the metric with the highest utilization, for projected the firing metric with the highest
-- projected_usage_90d / limit_value_total; ties by metric name.
-- Estimated expansion MRR, with need = max(usage, projected_usage_90d) of that metric and the reference
-- item = the customer's paying item of the product with the highest MRR (ties: item_id):
--   per-unit limit (per_unit_limit of the metric on the reference item's plan): units needed =
--     ceil(need / limit_value) - units held (sum of quantity of the product's paying items), at least 1;
--     estimate = units needed x product MRR / units held (one exact division)
--   plan limit: the upgrade plan = a plan of the same product, billing interval and count as the reference
--     item's plan and the reference item's currency, of a higher tier_rank, with a list price, whose limit
--     for the metric is >= need; the lowest tier (ties: plan_id). estimate = max(0, its list price x
--     (quantity if per_unit, else 1) normalised to a month and converted at the reference item's rate -
--     the reference item's MRR). No upgrade plan, or no limit row for the metric on the reference item's
--     plan: null (the trigger stays).
with utilization as (
    select * from {{ ref('int_product_utilization') }}
    where utilization is not null
),

active_customers as (
    select
        month,
        customer_id
    from {{ ref('fct_mrr') }}
    where is_active
),

items as (
    select * from {{ ref('int_paying_items_by_month') }}
),

plans as (
    {{ accepted_rows(ref('int_plans_validated')) }}
),

plan_limits as (
    {{ accepted_rows(ref('int_plan_limits_validated')) }}
),

product_metrics as (
    -- each limited metric with the flags of its whole product (window functions, no self-join: PostgreSQL
    -- misestimates a join on aggregated flags and falls back to nested loops)
    select
        utilization.*,
        max(case when utilization.reaches_limit then 1 else 0 end) over (
            partition by utilization.month, utilization.customer_id, utilization.product_id
        ) as any_reached,
        max(case when utilization.at_80_pct_of_limit then 1 else 0 end) over (
            partition by utilization.month, utilization.customer_id, utilization.product_id
        ) as any_at_80_pct,
        max(case when utilization.projected_to_reach_limit then 1 else 0 end) over (
            partition by utilization.month, utilization.customer_id, utilization.product_id
        ) as any_projected
    from utilization
    inner join active_customers
        on utilization.month = active_customers.month
        and utilization.customer_id = active_customers.customer_id
),

fired as (
    select
        *,
        case
            when any_reached = 1 then 'limit_reached'
            when any_at_80_pct = 1 then 'limit_approaching'
            when any_projected = 1 then 'limit_projected_90d'
        end as trigger_name
    from product_metrics
),

ranked_metrics as (
    select
        month,
        customer_id,
        product_id,
        trigger_name,
        metric,
        monthly_usage,
        utilization,
        projected_usage_90d,
        limit_value_total,
        row_number() over (
            partition by month, customer_id, product_id
            order by
                case when reaches_limit then 1 else 0 end desc,
                case when at_80_pct_of_limit then 1 else 0 end desc,
                case
                    when trigger_name = 'limit_projected_90d' and projected_to_reach_limit then 1
                    else 0
                end desc,
                case
                    when trigger_name = 'limit_projected_90d'
                        then {{ ratio('projected_usage_90d', 'limit_value_total') }}
                    else utilization
                end desc,
                metric asc
        ) as metric_rank
    from fired
    where trigger_name is not null
),

published_metrics as (
    select
        *,
        case
            when projected_usage_90d > monthly_usage then projected_usage_90d
            else cast(monthly_usage as decimal(38, 7))
        end as usage_needed
    from ranked_metrics
    where metric_rank = 1
),

reference_items as (
    -- each paying item with its product's units and MRR, ranked by MRR (the reference item is rank 1)
    select
        items.*,
        plans.billing_interval,
        plans.billing_interval_count,
        sum(items.quantity) over (
            partition by items.month, items.customer_id, items.product_id
        ) as units_held,
        sum(items.item_mrr) over (
            partition by items.month, items.customer_id, items.product_id
        ) as product_mrr,
        row_number() over (
            partition by items.month, items.customer_id, items.product_id
            order by items.item_mrr desc, items.item_id asc
        ) as mrr_rank
    from items
    inner join plans
        on items.plan_id = plans.plan_id
),

with_reference as (
    select
        published_metrics.*,
        reference_items.plan_id as reference_plan_id,
        reference_items.tier_rank as reference_tier_rank,
        reference_items.billing_interval as reference_billing_interval,
        reference_items.billing_interval_count as reference_billing_interval_count,
        reference_items.currency as reference_currency,
        reference_items.fx_rate as reference_fx_rate,
        reference_items.quantity as reference_quantity,
        reference_items.item_mrr as reference_item_mrr,
        reference_limits.limit_value as reference_limit_value,
        reference_limits.per_unit_limit as reference_per_unit_limit,
        reference_items.units_held,
        reference_items.product_mrr
    from published_metrics
    inner join reference_items
        on published_metrics.month = reference_items.month
        and published_metrics.customer_id = reference_items.customer_id
        and published_metrics.product_id = reference_items.product_id
        and reference_items.mrr_rank = 1
    left join plan_limits as reference_limits
        on reference_items.plan_id = reference_limits.plan_id
        and published_metrics.metric = reference_limits.metric
),

candidate_plans as (
    -- the plans an item could be upgraded to, with each of their limits (usage plans have no list price)
    select
        plans.plan_id,
        plans.product_id,
        plans.tier_rank,
        plans.pricing_model,
        plans.billing_interval,
        plans.billing_interval_count,
        plans.currency,
        plans.list_price,
        plan_limits.metric,
        plan_limits.limit_value
    from plans
    inner join plan_limits
        on plans.plan_id = plan_limits.plan_id
    where plans.list_price is not null
),

upgrade_options as (
    -- every trigger row with each upgrade plan that covers the need (plan limits only), lowest tier first;
    -- a row without any keeps one row with null upgrade columns
    select
        with_reference.*,
        candidate_plans.plan_id as upgrade_plan_id,
        {{ monthly_amount(
            'candidate_plans.list_price',
            "case when candidate_plans.pricing_model = 'per_unit' then with_reference.reference_quantity else 1 end",
            '0',
            'candidate_plans.billing_interval',
            'candidate_plans.billing_interval_count'
        ) }} as upgrade_mrr_in_item_currency,
        row_number() over (
            partition by with_reference.month, with_reference.customer_id, with_reference.product_id
            order by candidate_plans.tier_rank asc, candidate_plans.plan_id asc
        ) as candidate_rank
    from with_reference
    left join candidate_plans
        on not with_reference.reference_per_unit_limit
        and with_reference.product_id = candidate_plans.product_id
        and with_reference.metric = candidate_plans.metric
        and with_reference.reference_billing_interval = candidate_plans.billing_interval
        and with_reference.reference_billing_interval_count = candidate_plans.billing_interval_count
        and with_reference.reference_currency = candidate_plans.currency
        and with_reference.reference_tier_rank < candidate_plans.tier_rank
        and with_reference.usage_needed <= candidate_plans.limit_value
),

estimated as (
    select
        *,
        cast(
            case
                when reference_per_unit_limit and reference_limit_value > 0
                    then greatest(
                        {{ ceil_divide('usage_needed', 'reference_limit_value') }} - units_held,
                        1
                    )
            end
            as decimal(38, 6)
        ) as units_needed,
        {{ convert_money('upgrade_mrr_in_item_currency', 'reference_fx_rate') }} - reference_item_mrr
            as upgrade_mrr_difference
    from upgrade_options
    where candidate_rank = 1
),

final as (
    select
        month,
        customer_id,
        product_id,
        cast(trigger_name as {{ text_type() }}) as trigger,
        metric,
        monthly_usage,
        utilization,
        projected_usage_90d,
        limit_value_total,
        reference_plan_id,
        units_needed,
        upgrade_plan_id,
        cast(
            case
                when reference_per_unit_limit and units_held > 0
                    then {{ exact_divide('units_needed * product_mrr', 'units_held') }}
                when upgrade_mrr_difference > 0 then upgrade_mrr_difference
                when upgrade_mrr_difference <= 0 then 0
            end
            as {{ money_type() }}
        ) as estimated_expansion_mrr
    from estimated
)

select * from final

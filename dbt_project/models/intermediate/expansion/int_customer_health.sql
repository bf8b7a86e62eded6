-- The customer health score (docs/expansion_intelligence.md), one row per customer active at the end of M
-- (fct_mrr.is_active) and expansion-intelligence month M, with its components (each 0-100, unrounded):
--   usage_trend_score  for each product x metric with usage: a = mean monthly usage over the months of
--                      M-2..M with usage, b = the same over M-5..M-3; r = a / b when both exist and b > 0,
--                      clamped to [0, 2]; score = 50 x mean(r); 50 when no product x metric has an r
--   utilization_score  100 x min(1, max utilization over the customer's metrics with a limit in M); 50 when
--                      the customer has no utilisation in M
--   mrr_trend_score    100 - 25 x (months of M-5..M with a contraction movement), at least 0
--   tenure_score       min(100, 100 x (months from the first active month through M) / 24)
--   breadth_score      100 x min(1, core products held at the end of M / 2) (a paying item of the product)
--   health_score       round(sum of weight x component, 2), weights from the seed health_score_weights
with months as (
    select month from {{ ref('int_expansion_months') }}
),

active_customers as (
    select
        fct_mrr.month,
        fct_mrr.customer_id
    from {{ ref('fct_mrr') }} as fct_mrr
    inner join months
        on fct_mrr.month = months.month
    where fct_mrr.is_active
),

usage_by_month as (
    select * from {{ ref('int_usage_by_month') }}
),

usage_windows as (
    select
        active_customers.month,
        active_customers.customer_id,
        usage_by_month.product_id,
        usage_by_month.metric,
        sum(
            case when usage_by_month.month >= {{ add_months('active_customers.month', -2) }} then usage_by_month.monthly_usage end
        ) as recent_usage,
        sum(case when usage_by_month.month >= {{ add_months('active_customers.month', -2) }} then 1 else 0 end)
            as recent_months,
        sum(
            case when usage_by_month.month < {{ add_months('active_customers.month', -2) }} then usage_by_month.monthly_usage end
        ) as earlier_usage,
        sum(case when usage_by_month.month < {{ add_months('active_customers.month', -2) }} then 1 else 0 end)
            as earlier_months
    from active_customers
    inner join usage_by_month
        on active_customers.customer_id = usage_by_month.customer_id
        and {{ add_months('active_customers.month', -5) }} <= usage_by_month.month
        and active_customers.month >= usage_by_month.month
    group by
        active_customers.month,
        active_customers.customer_id,
        usage_by_month.product_id,
        usage_by_month.metric
),

usage_ratios as (
    -- a / b = (recent_usage / recent_months) / (earlier_usage / earlier_months), one exact division
    select
        month,
        customer_id,
        case
            when recent_months > 0 and earlier_months > 0 and earlier_usage > 0
                then {{ ratio('recent_usage * earlier_months', 'earlier_usage * recent_months') }}
        end as usage_ratio
    from usage_windows
),

usage_trend as (
    select
        month,
        customer_id,
        {{ ratio(
            '50 * sum(case when usage_ratio > 2 then 2 when usage_ratio < 0 then 0 else usage_ratio end)',
            'count(usage_ratio)'
        ) }} as usage_trend_score
    from usage_ratios
    group by
        month,
        customer_id
),

utilization as (
    select
        month,
        customer_id,
        max(utilization) as max_utilization
    from {{ ref('int_product_utilization') }}
    where utilization is not null
    group by
        month,
        customer_id
),

contraction_months as (
    select
        active_customers.month,
        active_customers.customer_id,
        count(*) as contraction_months
    from active_customers
    inner join {{ ref('fct_mrr_movements') }} as movements
        on active_customers.customer_id = movements.customer_id
        and {{ add_months('active_customers.month', -5) }} <= movements.month
        and active_customers.month >= movements.month
    where movements.movement_type = 'contraction'
    group by
        active_customers.month,
        active_customers.customer_id
),

core_products as (
    select
        month,
        customer_id,
        count(distinct product_id) as core_products_held
    from {{ ref('int_paying_items_by_month') }}
    where product_type = 'core'
    group by
        month,
        customer_id
),

weights as (
    select
        {%- for component in health_score_components() %}
        sum(case when component = '{{ component }}' then cast(weight as decimal(18, 10)) end)
            as {{ component }}_weight{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('health_score_weights') }}
),

components as (
    select
        active_customers.month,
        active_customers.customer_id,
        coalesce(core_products.core_products_held, 0) as core_products_held,
        cast(coalesce(usage_trend.usage_trend_score, 50) as decimal(18, 10)) as usage_trend_score,
        cast(
            case
                when utilization.max_utilization is null then 50
                when utilization.max_utilization > 1 then 100
                else 100 * utilization.max_utilization
            end
            as decimal(18, 10)
        ) as utilization_score,
        cast(
            case
                when coalesce(contraction_months.contraction_months, 0) >= 4 then 0
                else 100 - 25 * coalesce(contraction_months.contraction_months, 0)
            end
            as decimal(18, 10)
        ) as mrr_trend_score,
        cast(
            case
                when {{ months_between('lifecycles.first_active_month', 'active_customers.month') }} + 1 >= 24 then 100
                else {{ ratio(
                    '100 * (' ~ months_between('lifecycles.first_active_month', 'active_customers.month') ~ ' + 1)',
                    '24'
                ) }}
            end
            as decimal(18, 10)
        ) as tenure_score,
        cast(
            case
                when coalesce(core_products.core_products_held, 0) >= 2 then 100
                else 50 * coalesce(core_products.core_products_held, 0)
            end
            as decimal(18, 10)
        ) as breadth_score
    from active_customers
    inner join {{ ref('int_customer_lifecycles') }} as lifecycles
        on active_customers.customer_id = lifecycles.customer_id
    left join usage_trend
        on active_customers.month = usage_trend.month
        and active_customers.customer_id = usage_trend.customer_id
    left join utilization
        on active_customers.month = utilization.month
        and active_customers.customer_id = utilization.customer_id
    left join contraction_months
        on active_customers.month = contraction_months.month
        and active_customers.customer_id = contraction_months.customer_id
    left join core_products
        on active_customers.month = core_products.month
        and active_customers.customer_id = core_products.customer_id
),

final as (
    select
        components.month,
        components.customer_id,
        cast(round(
            {%- for component in health_score_components() %}
            weights.{{ component }}_weight * components.{{ component }}_score{{ " +" if not loop.last }}
            {%- endfor %},
            2
        ) as decimal(5, 2)) as health_score,
        {%- for component in health_score_components() %}
        components.{{ component }}_score,
        {%- endfor %}
        components.core_products_held
    from components
    cross join weights
)

select * from final

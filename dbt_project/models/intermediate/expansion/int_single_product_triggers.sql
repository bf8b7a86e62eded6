-- The single_product trigger (docs/expansion_intelligence.md), a cross-sell candidate: a customer that at
-- the end of M holds exactly one core product (a paying item of a product of type core), has been active
-- for 6 months or more (months from int_customer_lifecycles.first_active_month through M, inclusive) and
-- has a health score of 70 or more (int_customer_health, so active at the end of M). product_id is the
-- core product it holds. Estimated expansion MRR: among the customers of the same size segment
-- (dim_customers.size_segment) that hold 2 or more core products at the end of M, one of them the
-- customer's product, take the other core product held by the most of them (ties: product_id); the
-- estimate is the exact median (mean of the two middle values for an even count) of those customers' MRR
-- on that product at the end of M (the sum of item_mrr of their paying items of it). None: null.
with items as (
    select * from {{ ref('int_paying_items_by_month') }}
    where product_type = 'core'
),

core_holdings as (
    select
        month,
        customer_id,
        product_id,
        sum(item_mrr) as product_mrr
    from items
    group by
        month,
        customer_id,
        product_id
),

core_counts as (
    select
        core_holdings.month,
        core_holdings.customer_id,
        customers.size_segment,
        count(*) as core_products_held
    from core_holdings
    inner join {{ ref('dim_customers') }} as customers
        on core_holdings.customer_id = customers.customer_id
    group by
        core_holdings.month,
        core_holdings.customer_id,
        customers.size_segment
),

candidates as (
    select
        core_counts.month,
        core_counts.customer_id,
        core_counts.size_segment,
        core_holdings.product_id
    from core_counts
    inner join core_holdings
        on core_counts.month = core_holdings.month
        and core_counts.customer_id = core_holdings.customer_id
    inner join {{ ref('int_customer_lifecycles') }} as lifecycles
        on core_counts.customer_id = lifecycles.customer_id
    inner join {{ ref('int_customer_health') }} as health
        on core_counts.month = health.month
        and core_counts.customer_id = health.customer_id
    where core_counts.core_products_held = 1
        and {{ months_between('lifecycles.first_active_month', 'core_counts.month') }} + 1 >= 6
        and health.health_score >= 70
),

multi_product_pairs as (
    -- each multi-product customer's held product x every other core product it holds, with that one's MRR
    select
        core_counts.month,
        core_counts.size_segment,
        core_counts.customer_id,
        held.product_id as held_product_id,
        other.product_id as other_product_id,
        other.product_mrr as other_product_mrr
    from core_counts
    inner join core_holdings as held
        on core_counts.month = held.month
        and core_counts.customer_id = held.customer_id
    inner join core_holdings as other
        on core_counts.month = other.month
        and core_counts.customer_id = other.customer_id
        and held.product_id <> other.product_id
    where core_counts.core_products_held >= 2
),

most_co_held as (
    select
        month,
        size_segment,
        held_product_id,
        other_product_id,
        row_number() over (
            partition by month, size_segment, held_product_id
            order by count(*) desc, other_product_id asc
        ) as popularity_rank
    from multi_product_pairs
    group by
        month,
        size_segment,
        held_product_id,
        other_product_id
),

co_held_mrr as (
    select
        multi_product_pairs.month,
        multi_product_pairs.size_segment,
        multi_product_pairs.held_product_id,
        multi_product_pairs.other_product_mrr
    from multi_product_pairs
    inner join most_co_held
        on multi_product_pairs.month = most_co_held.month
        and multi_product_pairs.size_segment = most_co_held.size_segment
        and multi_product_pairs.held_product_id = most_co_held.held_product_id
        and multi_product_pairs.other_product_id = most_co_held.other_product_id
        and most_co_held.popularity_rank = 1
),

medians as (
    {{ exact_median('co_held_mrr', ['month', 'size_segment', 'held_product_id'], 'other_product_mrr') }}
),

final as (
    select
        candidates.month,
        candidates.customer_id,
        candidates.product_id,
        cast('single_product' as {{ text_type() }}) as trigger,
        most_co_held.other_product_id as cross_sell_product_id,
        cast(medians.median_value as {{ money_type() }}) as estimated_expansion_mrr
    from candidates
    left join most_co_held
        on candidates.month = most_co_held.month
        and candidates.size_segment = most_co_held.size_segment
        and candidates.product_id = most_co_held.held_product_id
        and most_co_held.popularity_rank = 1
    left join medians
        on candidates.month = medians.month
        and candidates.size_segment = medians.size_segment
        and candidates.product_id = medians.held_product_id
)

select * from final

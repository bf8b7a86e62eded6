-- Logo churn by behavioural segment (metrics spec §6), month by month. Each customer active at the end of
-- M−1 is put in exactly one segment, evaluated at the start of M (the end of M−1), in this order of
-- precedence (DECISIONS.md D-19: multi_product before expanded, because gaining a second core product is
-- itself an expansion, so almost every multi-product customer has expanded):
--   first_year     fewer than 12 months since its first active month: months_between(first active month, M) < 12
--   multi_product  held 2 or more core products (recurring + usage MRR > 0) at the end of M−1
--   expanded       had at least one expansion month (movement_type = 'expansion') before M
--   other          everyone else
-- customers_churned = those of them with a churn movement in M.
with months as (
    select month from {{ ref('int_months') }}
),

customer_months as (
    select * from {{ ref('fct_mrr') }}
),

movements as (
    select * from {{ ref('fct_mrr_movements') }}
),

segments as (
    {{ listed_values('segment', ['first_year', 'multi_product', 'expanded', 'other']) }}
),

lifecycles as (
    select * from {{ ref('int_customer_lifecycles') }}
),

-- The core products a customer holds, as ranges of months between the product's change points.
core_product_ranges as (
    select
        customer_id,
        product_id,
        month as valid_from_month,
        lead(month) over (partition by customer_id, product_id order by month) as valid_until_month,
        recurring_mrr_end + usage_mrr_end > 0 as is_held
    from {{ ref('int_customer_product_mrr_changes') }}
    where product_type = 'core'
        and month <= {{ as_of_month() }}
),

customers_at_start as (
    select
        months.month,
        customer_months.customer_id,
        lifecycles.first_active_month,
        lifecycles.first_expansion_month
    from months
    inner join customer_months
        on customer_months.month = {{ add_months('months.month', -1) }}
        and customer_months.is_active
    inner join lifecycles
        on customer_months.customer_id = lifecycles.customer_id
),

core_products_at_start as (
    select
        customers_at_start.month,
        customers_at_start.customer_id,
        count(*) as core_products
    from customers_at_start
    inner join core_product_ranges
        on customers_at_start.customer_id = core_product_ranges.customer_id
        and core_product_ranges.is_held
        and core_product_ranges.valid_from_month <= {{ add_months('customers_at_start.month', -1) }}
        and (
            core_product_ranges.valid_until_month > {{ add_months('customers_at_start.month', -1) }}
            or core_product_ranges.valid_until_month is null
        )
    group by
        customers_at_start.month,
        customers_at_start.customer_id
),

segmented as (
    select
        customers_at_start.month,
        customers_at_start.customer_id,
        case
            when {{ months_between('customers_at_start.first_active_month', 'customers_at_start.month') }} < 12
                then 'first_year'
            when coalesce(core_products_at_start.core_products, 0) >= 2 then 'multi_product'
            when customers_at_start.first_expansion_month < customers_at_start.month then 'expanded'
            else 'other'
        end as segment,
        churns.customer_id is not null as has_churned
    from customers_at_start
    left join core_products_at_start
        on customers_at_start.month = core_products_at_start.month
        and customers_at_start.customer_id = core_products_at_start.customer_id
    left join movements as churns
        on customers_at_start.customer_id = churns.customer_id
        and customers_at_start.month = churns.month
        and churns.movement_type = 'churn'
),

segment_totals as (
    select
        month,
        segment,
        count(*) as customers_start,
        sum(case when has_churned then 1 else 0 end) as customers_churned
    from segmented
    group by
        month,
        segment
),

grid as (
    {{ zero_filled_grid('months', 'segments', 'segment', 'segment_totals', ['customers_start', 'customers_churned']) }}
),

rates as (
    select
        *,
        {{ ratio('customers_churned', 'customers_start') }} as logo_churn_rate
    from grid
),

final as (
    select
        month,
        segment,
        cast(customers_start as bigint) as customers_start,
        cast(customers_churned as bigint) as customers_churned,
        logo_churn_rate,
        {{ annualized_churn_rate('logo_churn_rate') }} as annualized_logo_churn_rate,
        {{ is_complete_month('month') }} as is_complete
    from rates
)

select * from final

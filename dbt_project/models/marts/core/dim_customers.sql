-- One row per usable customer: descriptive attributes, size segment (metrics spec §6), cohort (the
-- first active month), and the state at the as-of month: MRR and the number of core products held.
with customers as (
    {{ accepted_rows(ref('stg_billing__customers')) }}
),

lifecycles as (
    select
        customer_id,
        first_active_month
    from {{ ref('int_customer_lifecycles') }}
),

current_mrr as (
    select
        customer_id,
        mrr
    from {{ ref('fct_mrr') }}
    where month = (select max(int_months.month) from {{ ref('int_months') }} as int_months)
),

latest_product_levels as (
    select
        customer_id,
        product_id,
        product_type,
        recurring_mrr_end + usage_mrr_end as product_mrr,
        row_number() over (partition by customer_id, product_id order by month desc) as recency
    from {{ ref('int_customer_product_mrr_changes') }}
    where month <= {{ as_of_month() }}
),

core_products as (
    select
        customer_id,
        count(*) as core_product_count
    from latest_product_levels
    where recency = 1
        and product_type = 'core'
        and product_mrr > 0
    group by customer_id
),

final as (
    select
        customers.customer_id,
        customers.customer_name,
        customers.country,
        customers.industry,
        customers.employee_count,
        {{ size_segment('customers.employee_count') }} as size_segment,
        customers.created_at,
        lifecycles.first_active_month,
        lifecycles.first_active_month as cohort_month,
        coalesce(current_mrr.mrr > 0, false) as is_active_now,
        coalesce(current_mrr.mrr, cast(0 as {{ money_type() }})) as current_mrr,
        coalesce(core_products.core_product_count, 0) as core_product_count
    from customers
    {{ left_join_each('customers', ['lifecycles', 'current_mrr', 'core_products'], 'customer_id') }}
)

select * from final

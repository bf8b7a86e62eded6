{{ config(meta={"dagster": {"ref": {"name": "fct_mrr_by_product"}}}) }}
-- For every customer and month, the MRR of the customer's products adds up to its MRR in fct_mrr (a month in
-- which the customer held no product counts 0). Returns the customer-months where it does not.
with product_totals as (
    select
        customer_id,
        month,
        sum(mrr) as product_mrr
    from {{ ref('fct_mrr_by_product') }}
    group by
        customer_id,
        month
),

customer_mrr as (
    select
        customer_id,
        month,
        mrr
    from {{ ref('fct_mrr') }}
)

select
    coalesce(customer_mrr.customer_id, product_totals.customer_id) as customer_id,
    coalesce(customer_mrr.month, product_totals.month) as month,
    customer_mrr.mrr,
    product_totals.product_mrr
from customer_mrr
full outer join product_totals
    on customer_mrr.customer_id = product_totals.customer_id
    and customer_mrr.month = product_totals.month
where coalesce(customer_mrr.mrr, 0) <> coalesce(product_totals.product_mrr, 0)

-- The customer x product x months with an expansion on the product: a month whose customer movement is
-- split into mechanisms (an expansion or contraction in fct_mrr_movements, macro is_split_into_mechanisms)
-- in which at least one mechanism amount of the product is positive (macro product_mechanism_amounts, the
-- rules of int_customer_mrr_changes applied product by product). What "expanded within 90 days" of the
-- trigger effectiveness mart reads (docs/expansion_intelligence.md). Months through the as-of month.
with product_changes as (
    select * from {{ ref('int_customer_product_mrr_changes') }}
    where month <= {{ as_of_month() }}
),

mechanism_amounts as (
    {{ product_mechanism_amounts('product_changes') }}
),

split_movements as (
    select
        customer_id,
        month
    from {{ ref('fct_mrr_movements') }}
    where {{ is_split_into_mechanisms('movement_type') }}
),

final as (
    select
        mechanism_amounts.month,
        mechanism_amounts.customer_id,
        mechanism_amounts.product_id
    from mechanism_amounts
    inner join split_movements
        on mechanism_amounts.customer_id = split_movements.customer_id
        and mechanism_amounts.month = split_movements.month
    where
        {%- for mechanism in mechanisms() %}
        mechanism_amounts.{{ mechanism }}_mrr > 0{{ " or" if not loop.last }}
        {%- endfor %}
)

select * from final

{{ per_customer_incremental_config() }}
-- Customer MRR in the months it changes, with the change split into the expansion mechanisms of the
-- metrics spec §3 (var mechanisms; each one's rule is in the macro product_mechanism_amounts, which
-- the expansion-intelligence models also read product by product), product by product
-- (u = recurring MRR / units, q = units):
--   cross_sell / product_churn: a core product gained / lost (its whole recurring MRR)
--   add_on: an add-on product gained (+) or lost (-)
--   seat: a product held in both months: (q1 - q0) x u0
--   upsell / downgrade / price: the rest of a held product's change, q1 x (u1 - u0), by whether its
--     quantity-weighted tier went up, down or stayed
--   usage: the change in the product's usage MRR
-- The rest is taken as a difference, so the mechanisms sum exactly to the customer's delta.
with product_changes as (
    select * from {{ ref('int_customer_product_mrr_changes') }}
    where {{ in_build_scope('customer_id') }}
),

split as (
    -- each product's change split into the mechanisms (the rules: macro product_mechanism_amounts)
    {{ product_mechanism_amounts('product_changes') }}
),

customer_months as (
    select
        customer_id,
        month,
        sum(delta) as delta,
        {%- for mechanism in mechanisms() %}
        sum({{ mechanism }}_mrr) as {{ mechanism }}_mrr{{ "," if not loop.last }}
        {%- endfor %}
    from split
    group by
        customer_id,
        month
),

with_start as (
    select
        *,
        coalesce(
            sum(delta) over (
                partition by customer_id
                order by month
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as mrr_start
    from customer_months
),

final as (
    select
        customer_id,
        month,
        cast(mrr_start as {{ money_type() }}) as mrr_start,
        cast(mrr_start + delta as {{ money_type() }}) as mrr_end,
        cast(delta as {{ money_type() }}) as delta,
        {%- for mechanism in mechanisms() %}
        cast({{ mechanism }}_mrr as {{ money_type() }}) as {{ mechanism }}_mrr{{ "," if not loop.last }}
        {%- endfor %}
    from with_start
)

select * from final

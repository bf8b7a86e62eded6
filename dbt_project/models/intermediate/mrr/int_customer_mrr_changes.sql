{{ per_customer_incremental_config() }}
-- Customer MRR in the months it changes, with the change split into the expansion mechanisms of the
-- metrics spec §3 (var mechanisms; each one's rule is in the CTE split), product by product
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

product_mechanisms as (
    select
        *,
        recurring_mrr_end + usage_mrr_end - recurring_mrr_start - usage_mrr_start as delta,
        recurring_mrr_end - recurring_mrr_start as recurring_delta,
        usage_mrr_end - usage_mrr_start as usage_delta,
        recurring_mrr_start = 0 and recurring_mrr_end > 0 as is_gained,
        recurring_mrr_start > 0 and recurring_mrr_end = 0 as is_lost,
        recurring_mrr_start > 0 and recurring_mrr_end > 0 as is_held_both_months,
        case
            when recurring_mrr_start > 0 and recurring_mrr_end > 0
                then {{ exact_divide('(units_end - units_start) * recurring_mrr_start', 'units_start') }}
            else 0
        end as seat_delta,
        sign(tier_weight_end * units_start - tier_weight_start * units_end) as tier_direction
    from product_changes
),

split as (
    select
        customer_id,
        month,
        delta,
        case when product_type = 'core' and is_gained then recurring_delta else 0 end as cross_sell_mrr,
        case when product_type = 'core' and is_lost then recurring_delta else 0 end as product_churn_mrr,
        case when product_type = 'add_on' and (is_gained or is_lost) then recurring_delta else 0 end as add_on_mrr,
        seat_delta as seat_mrr,
        case when is_held_both_months and tier_direction > 0 then recurring_delta - seat_delta else 0 end as upsell_mrr,
        case when is_held_both_months and tier_direction < 0 then recurring_delta - seat_delta else 0 end as downgrade_mrr,
        case when is_held_both_months and tier_direction = 0 then recurring_delta - seat_delta else 0 end as price_mrr,
        usage_delta as usage_mrr
    from product_mechanisms
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

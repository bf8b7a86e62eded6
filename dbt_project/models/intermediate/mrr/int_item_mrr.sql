{{ per_customer_incremental_config() }}
-- Every item state with its MRR in the reporting currency (metrics spec §1) and the months whose
-- month-end it is in effect at. Item MRR: unit_price x units x (1 - discount/100), normalised to a
-- month, converted at the rate of the UTC day the state began (locked for the state). Trialing,
-- paused and ended states and usage plans give 0 (usage MRR comes from usage_charges).
-- A state is in effect at the end of month M when valid_from < first day of M+1 <= valid_to, so it
-- covers the months first_month_in_effect <= M < end_month_exclusive (empty when both are equal).
with states as (
    select * from {{ ref('int_item_states') }}
    where {{ in_build_scope('customer_id') }}
),

plans as (
    {{ accepted_rows(ref('int_plans_validated')) }}
),

fx_rate_ranges as (
    select * from {{ ref('int_fx_rate_ranges') }}
),

priced as (
    select
        states.*,
        plans.product_id,
        plans.product_type,
        plans.tier_rank,
        plans.pricing_model,
        plans.billing_interval,
        plans.billing_interval_count,
        cast(case when plans.pricing_model = 'per_unit' then states.quantity else 1 end as decimal(18, 6)) as billable_units,
        cast(states.valid_from as date) as state_began_on
    from states
    inner join plans
        on states.plan_id = plans.plan_id
),

converted as (
    select
        priced.*,
        fx_rate_ranges.rate_to_reporting as fx_rate,
        case
            when priced.status <> 'active' or priced.is_trial or priced.pricing_model = 'usage' then 0
            else {{ monthly_amount(
                'priced.unit_price',
                'priced.billable_units',
                'priced.discount_percent',
                'priced.billing_interval',
                'priced.billing_interval_count'
            ) }}
        end as mrr_in_item_currency
    from priced
    {{ fx_rate_join('priced.currency', 'priced.state_began_on') }}
),

final as (
    select
        item_state_id,
        customer_id,
        subscription_id,
        item_id,
        product_id,
        product_type,
        plan_id,
        tier_rank,
        pricing_model,
        status,
        is_trial,
        valid_from,
        valid_to,
        quantity,
        billable_units,
        unit_price,
        discount_percent,
        currency,
        fx_rate,
        mrr_in_item_currency,
        {{ convert_money('mrr_in_item_currency', 'fx_rate') }} as item_mrr,
        {{ month_start('valid_from') }} as first_month_in_effect,
        {{ month_start('valid_to') }} as end_month_exclusive
    from converted
)

select * from final

-- The MRR a rejected subscription event would have set for its item, where it can be known (D-30):
-- would_set_a_price marks an item_started or item_changed that is not a trial and not on a usage plan;
-- its amount is known when the plan is known, quantity, price and discount are readable and its currency
-- has a rate on its day. Null otherwise (a rejected row's value is often exactly what could not be
-- read). Feeds mart_rejection_summary and mart_customers_lost_to_rejections; never the metrics.
{%- set event_columns = [
    'event_id', 'customer_id', 'event_type', 'plan_id', 'quantity', 'unit_price', 'currency',
    'discount_percent', 'is_trial', 'occurred_at', 'rejection_reason'
] %}
with rejected_events as (
    {%- for model_name in ['stg_billing__subscription_events', 'int_subscription_events_validated'] %}
    select {{ event_columns | join(', ') }}
    from {{ ref(model_name) }}
    where rejection_reason is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

usable_plans as (
    {{ usable_rows(
        ref('int_plans_validated'),
        ['plan_id', 'pricing_model', 'list_price', 'currency', 'billing_interval', 'billing_interval_count']
    ) }}
),

fx_rate_ranges as (
    select * from {{ ref('int_fx_rate_ranges') }}
),

classified as (
    select
        rejected_events.*,
        usable_plans.plan_id is not null as plan_is_known,
        usable_plans.pricing_model,
        usable_plans.list_price,
        usable_plans.billing_interval,
        usable_plans.billing_interval_count,
        coalesce(rejected_events.currency, usable_plans.currency) as price_currency,
        rejected_events.event_type in ('item_started', 'item_changed')
            and not coalesce(rejected_events.is_trial, false)
            and coalesce(usable_plans.pricing_model, 'unknown') <> 'usage' as would_set_a_price
    from rejected_events
    left join usable_plans
        on rejected_events.plan_id = usable_plans.plan_id
),

priced as (
    select
        event_id,
        customer_id,
        rejection_reason,
        would_set_a_price,
        price_currency,
        cast(occurred_at as date) as occurred_on,
        case
            when would_set_a_price and plan_is_known
                then {{ monthly_amount(
                    'coalesce(unit_price, list_price)',
                    "case when pricing_model = 'per_unit' then coalesce(quantity, 1) else 1 end",
                    'coalesce(discount_percent, 0)',
                    'billing_interval',
                    'billing_interval_count'
                ) }}
        end as mrr_in_event_currency
    from classified
),

final as (
    select
        priced.event_id,
        priced.customer_id,
        priced.rejection_reason,
        priced.would_set_a_price,
        case
            -- a negative quantity or discount above 100 gives a negative amount: no price it would have set
            when priced.mrr_in_event_currency >= 0
                then {{ convert_money('priced.mrr_in_event_currency', 'fx_rate_ranges.rate_to_reporting') }}
        end as mrr_carried
    from priced
    {{ fx_rate_join('priced.price_currency', 'priced.occurred_on') }}
)

select * from final

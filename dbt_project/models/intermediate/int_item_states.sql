{{ per_customer_incremental_config() }}
-- One row per item state: the full state an event sets (plan, quantity, price, currency, discount,
-- trial, status), valid from the event's occurred_at until the item's next event (valid_to, null while
-- it is the latest). A cell an event leaves blank keeps the previous value (raw contract), also across
-- a plan change; item_started fills the contract's defaults (quantity 1, the plan's list price and
-- currency, no discount, not a trial). A price that was never set (a usage plan's empty list price)
-- falls back to the current plan's list price. A pause lasts until item_resumed.
with usable_events as (
    select * from {{ ref('int_subscription_events__validated') }}
    where rejection_reason is null
        and {{ in_build_scope('customer_id') }}
),

plans as (
    select * from {{ ref('int_plans__validated') }}
    where rejection_reason is null
),

with_plan as (
    select
        usable_events.*,
        {{ fill_forward('plan_id', 'item_id', event_order()) }} as state_plan_id
    from usable_events
),

state_inputs as (
    select
        with_plan.*,
        plans.list_price as plan_list_price,
        coalesce(with_plan.quantity, case when with_plan.event_type = 'item_started' then 1 end) as quantity_input,
        coalesce(
            with_plan.unit_price, case when with_plan.event_type = 'item_started' then plans.list_price end
        ) as unit_price_input,
        coalesce(
            with_plan.currency, case when with_plan.event_type = 'item_started' then plans.currency end
        ) as currency_input,
        coalesce(
            with_plan.discount_percent, case when with_plan.event_type = 'item_started' then 0 end
        ) as discount_input,
        coalesce(
            with_plan.is_trial, case when with_plan.event_type = 'item_started' then false end
        ) as is_trial_input,
        case with_plan.event_type
            when 'item_started' then 'active'
            when 'item_paused' then 'paused'
            when 'item_resumed' then 'active'
            when 'item_ended' then 'ended'
        end as status_input
    from with_plan
    inner join plans
        on with_plan.state_plan_id = plans.plan_id
),

filled as (
    select
        event_id,
        customer_id,
        subscription_id,
        item_id,
        occurred_at as valid_from,
        lead(occurred_at) over (partition by item_id order by {{ event_order() }}) as valid_to,
        state_plan_id as plan_id,
        cast({{ fill_forward('quantity_input', 'item_id', event_order()) }} as decimal(18, 6))
            as quantity,
        cast(
            coalesce({{ fill_forward('unit_price_input', 'item_id', event_order()) }}, plan_list_price)
            as decimal(18, 6)
        ) as unit_price,
        {{ fill_forward('currency_input', 'item_id', event_order()) }} as currency,
        cast({{ fill_forward('discount_input', 'item_id', event_order()) }} as decimal(9, 6))
            as discount_percent,
        {{ fill_forward('is_trial_input', 'item_id', event_order()) }} as is_trial,
        {{ fill_forward('status_input', 'item_id', event_order()) }} as status
    from state_inputs
),

final as (
    select
        event_id as item_state_id,
        customer_id,
        subscription_id,
        item_id,
        valid_from,
        valid_to,
        plan_id,
        quantity,
        unit_price,
        currency,
        discount_percent,
        is_trial,
        status
    from filled
)

select * from final

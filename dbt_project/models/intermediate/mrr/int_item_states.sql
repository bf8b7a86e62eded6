{{ per_customer_incremental_config() }}
-- One row per item state: the full state an event sets (plan, quantity, price, currency, discount,
-- trial, status), valid from the event's occurred_at until the item's next event (valid_to, null while
-- it is the latest). A cell an event leaves blank keeps the previous value (raw contract), except that an
-- event moving the item to a different plan without a unit_price (or currency) takes the new plan's list
-- price (and currency): a negotiated price belongs to the plan it was negotiated for (raw contract v1.1;
-- quantity and discount still carry over). item_started fills the contract's defaults (quantity 1, the
-- plan's list price and currency, no discount, not a trial). A price that was never set on the current
-- plan (a usage plan's empty list price) falls back to that plan's list price. A pause lasts until
-- item_resumed.
with usable_events as (
    {{ accepted_rows(ref('int_subscription_events_validated'), build_scope_only=true) }}
),

plans as (
    {{ accepted_rows(ref('int_plans_validated')) }}
),

with_plan as (
    select
        usable_events.*,
        {{ fill_forward('plan_id', 'item_id', event_order()) }} as state_plan_id,
        {{ fill_forward('plan_id', 'item_id', event_order(), include_current=false) }} as previous_plan_id
    from usable_events
),

state_inputs as (
    select
        with_plan.*,
        plans.list_price as plan_list_price,
        plans.currency as plan_currency,
        -- an item_started, or a move to a different plan: the price and currency start again from the plan
        case
            when with_plan.event_type = 'item_started' then 1
            when with_plan.state_plan_id <> with_plan.previous_plan_id then 1
            else 0
        end as starts_plan_price,
        coalesce(with_plan.quantity, case when with_plan.event_type = 'item_started' then 1 end) as quantity_input,
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

plan_price_periods as (
    -- numbers the item's stretches on one plan: the price and currency carry over within a stretch only
    select
        *,
        sum(starts_plan_price) over (
            partition by item_id
            order by {{ event_order() }}
            rows between unbounded preceding and current row
        ) as plan_price_period
    from state_inputs
),

final as (
    select
        event_id as item_state_id,
        customer_id,
        subscription_id,
        item_id,
        occurred_at as valid_from,
        lead(occurred_at) over (partition by item_id order by {{ event_order() }}) as valid_to,
        state_plan_id as plan_id,
        cast({{ fill_forward('quantity_input', 'item_id', event_order()) }} as decimal(18, 6))
            as quantity,
        cast(
            coalesce(
                {{ fill_forward('unit_price', 'item_id, plan_price_period', event_order()) }}, plan_list_price
            )
            as decimal(18, 6)
        ) as unit_price,
        coalesce(
            {{ fill_forward('currency', 'item_id, plan_price_period', event_order()) }}, plan_currency
        ) as currency,
        cast({{ fill_forward('discount_input', 'item_id', event_order()) }} as decimal(9, 6))
            as discount_percent,
        {{ fill_forward('is_trial_input', 'item_id', event_order()) }} as is_trial,
        {{ fill_forward('status_input', 'item_id', event_order()) }} as status
    from plan_price_periods
)

select * from final

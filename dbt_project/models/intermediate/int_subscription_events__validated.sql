-- Subscription events that passed staging, checked against the other tables and against the item's
-- own history. rejection_reason is set on events that reference an unknown customer or plan, that
-- change an item with no earlier item_started, or that come after the item ended (an item_started
-- after an end restarts the item). Events of an item are ordered by occurred_at, recorded_at, event_id.
with staged_events as (
    select * from {{ ref('stg_billing__subscription_events') }}
    where rejection_reason is null
),

known_customers as (
    select customer_id from {{ ref('stg_billing__customers') }}
    where rejection_reason is null
),

known_plans as (
    select plans.plan_id
    from {{ ref('stg_billing__plans') }} as plans
    inner join {{ ref('stg_billing__products') }} as products
        on plans.product_id = products.product_id
        and products.rejection_reason is null
    where plans.rejection_reason is null
),

referenced as (
    select
        staged_events.*,
        case
            when known_customers.customer_id is null
                then 'unknown customer_id ' || {{ quoted_excerpt('staged_events.customer_id') }}
            when staged_events.plan_id is not null and known_plans.plan_id is null
                then 'unknown plan_id ' || {{ quoted_excerpt('staged_events.plan_id') }}
        end as reference_problem
    from staged_events
    left join known_customers
        on staged_events.customer_id = known_customers.customer_id
    left join known_plans
        on staged_events.plan_id = known_plans.plan_id
),

with_lifecycle as (
    -- the last start or end of the item before this event (among events usable so far)
    select
        *,
        {{ fill_forward(
            "case when event_type in ('item_started', 'item_ended') then event_type end",
            'item_id',
            event_order(),
            include_current=false
        ) }} as previous_lifecycle_event
    from referenced
    where reference_problem is null
),

lifecycle_checked as (
    select
        *,
        case
            when event_type <> 'item_started' and previous_lifecycle_event is null
                then event_type || ' with no earlier item_started for item ' || {{ quoted_excerpt('item_id') }}
            when event_type <> 'item_started' and previous_lifecycle_event = 'item_ended'
                then event_type || ' after item ' || {{ quoted_excerpt('item_id') }} || ' ended'
        end as lifecycle_problem
    from with_lifecycle
),

final as (
    select
        event_id,
        occurred_at,
        recorded_at,
        customer_id,
        subscription_id,
        item_id,
        event_type,
        plan_id,
        quantity,
        unit_price,
        currency,
        discount_percent,
        is_trial,
        lifecycle_problem as rejection_reason
    from lifecycle_checked
    union all
    select
        event_id,
        occurred_at,
        recorded_at,
        customer_id,
        subscription_id,
        item_id,
        event_type,
        plan_id,
        quantity,
        unit_price,
        currency,
        discount_percent,
        is_trial,
        reference_problem as rejection_reason
    from referenced
    where reference_problem is not null
)

select * from final

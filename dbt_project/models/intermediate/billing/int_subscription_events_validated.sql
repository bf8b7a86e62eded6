{{ per_customer_incremental_config() }}
-- Subscription events that passed staging, checked against the other tables and against the item's
-- own history. rejection_reason is set on events that reference an unknown customer or plan, whose
-- currency has no exchange rate on or before the event's UTC date, that change an item with no earlier
-- item_started, that start an item already started, that come after the item ended (a returning
-- customer starts a new item), or whose customer differs from the one that started the item.
-- Events of an item are ordered by occurred_at, recorded_at, event_id.
with staged_events as (
    {{ usable_rows(ref('stg_billing__subscription_events'), per_customer=true) }}
),

known_customers as (
    {{ usable_rows(ref('stg_billing__customers'), ['customer_id']) }}
),

known_plans as (
    {{ usable_rows(ref('int_plans_validated'), ['plan_id', 'currency as plan_currency']) }}
),

fx_rate_ranges as (
    select * from {{ ref('int_fx_rate_ranges') }}
),

with_previous_plan as (
    select
        staged_events.*,
        {{ fill_forward('plan_id', 'item_id', event_order(), include_current=false) }} as previous_plan_id
    from staged_events
),

with_currency as (
    -- the currency the event sets: its own, or on item_started and on a move to a different plan the
    -- plan's (raw contract v1.1); other events keep the previous currency, checked on the event that set it
    select
        with_previous_plan.*,
        coalesce(
            with_previous_plan.currency,
            case
                when with_previous_plan.event_type = 'item_started'
                    or with_previous_plan.plan_id <> with_previous_plan.previous_plan_id
                    then known_plans.plan_currency
            end
        ) as currency_set,
        known_plans.plan_id is not null as is_known_plan
    from with_previous_plan
    left join known_plans
        on with_previous_plan.plan_id = known_plans.plan_id
),

referenced as (
    select
        with_currency.*,
        case
            when known_customers.customer_id is null
                then {{ unknown_reference_reason('with_currency.customer_id') }}
            when with_currency.plan_id is not null and not with_currency.is_known_plan
                then {{ unknown_reference_reason('with_currency.plan_id') }}
            when with_currency.currency_set is not null and fx_rate_ranges.currency is null
                then {{ no_exchange_rate_reason('with_currency.currency_set', 'cast(with_currency.occurred_at as date)') }}
        end as reference_problem
    from with_currency
    left join known_customers
        on with_currency.customer_id = known_customers.customer_id
    {{ fx_rate_join('with_currency.currency_set', 'cast(with_currency.occurred_at as date)') }}
),

with_lifecycle as (
    -- what happened to the item before this event, among the events without a reference problem
    -- (one pass over all events: the others count for nothing)
    select
        *,
        sum(case when reference_problem is null and event_type = 'item_started' then 1 else 0 end)
            over item_before as earlier_starts,
        sum(case when reference_problem is null and event_type = 'item_ended' then 1 else 0 end)
            over item_before as earlier_ends,
        min(case when reference_problem is null and event_type = 'item_started' then customer_id end) over (
            partition by item_id
        ) as starting_customer_id
    from referenced
    window item_before as (
        partition by item_id
        order by {{ event_order() }}
        rows between unbounded preceding and 1 preceding
    )
),

lifecycle_checked as (
    select
        *,
        case
            when reference_problem is not null then null
            when coalesce(earlier_ends, 0) > 0
                then event_type || ' after item ' || {{ quoted_excerpt('item_id') }} || ' ended'
            when event_type <> 'item_started' and coalesce(earlier_starts, 0) = 0
                then event_type || ' with no earlier item_started for item ' || {{ quoted_excerpt('item_id') }}
            when event_type = 'item_started' and earlier_starts > 0
                then 'item_started for item ' || {{ quoted_excerpt('item_id') }} || ' that was already started'
            when customer_id <> starting_customer_id
                then 'customer_id ' || {{ quoted_excerpt('customer_id') }} || ' differs from the customer '
                    || {{ quoted_excerpt('starting_customer_id') }} || ' that started item '
                    || {{ quoted_excerpt('item_id') }}
        end as lifecycle_problem
    from with_lifecycle
),

final as (
    -- the event's columns as staged
    select
        {%- for column in staged_column_names('subscription_events') %}
        {{ column }},
        {%- endfor %}
        coalesce(reference_problem, lifecycle_problem) as rejection_reason
    from lifecycle_checked
)

select * from final

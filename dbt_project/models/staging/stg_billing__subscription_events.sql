{{ per_customer_incremental_config() }}
-- One row per distinct raw event row, typed, with rejection_reason set when the row cannot be used.
-- Exact redeliveries are collapsed (source_row_count counts them); an event_id seen with different
-- content keeps the valid version recorded last (then the smallest row hash) and rejects the others.
with collapsed as (
    {{ collapse_exact_duplicates('subscription_events', per_customer=true) }}
),

typed as (
    select
        nullif(trim(event_id), '') as event_id,
        {{ parse_raw('subscription_events', 'occurred_at') }} as occurred_at,
        {{ parse_raw('subscription_events', 'recorded_at') }} as recorded_at,
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(subscription_id), '') as subscription_id,
        nullif(trim(item_id), '') as item_id,
        {{ parse_raw('subscription_events', 'event_type') }} as event_type,
        nullif(trim(plan_id), '') as plan_id,
        {{ parse_raw('subscription_events', 'quantity') }} as quantity,
        {{ parse_raw('subscription_events', 'unit_price') }} as unit_price,
        {{ parse_raw('subscription_events', 'currency') }} as currency,
        {{ parse_raw('subscription_events', 'discount_percent') }} as discount_percent,
        {{ parse_raw('subscription_events', 'is_trial') }} as is_trial,
        event_type as event_type_raw,
        occurred_at as occurred_at_raw,
        recorded_at as recorded_at_raw,
        quantity as quantity_raw,
        unit_price as unit_price_raw,
        discount_percent as discount_percent_raw,
        is_trial as is_trial_raw,
        source_row_count,
        row_hash
    from collapsed
),

flagged as (
    select
        *,
        case
            when event_id is null then 'missing event_id'
            when customer_id is null then 'missing customer_id'
            when subscription_id is null then 'missing subscription_id'
            when item_id is null then 'missing item_id'
            {{ required_value_reason('occurred_at_raw', 'occurred_at', 'occurred_at', 'ISO 8601 timestamp') }}
            {{ earliest_valid_date_reason('occurred_at_raw', 'occurred_at', 'occurred_at') }}
            {{ optional_value_reason('recorded_at_raw', 'recorded_at', 'recorded_at', 'ISO 8601 timestamp') }}
            when event_type is null then 'missing event_type'
            when event_type not in ('item_started', 'item_changed', 'item_paused', 'item_resumed', 'item_ended')
                then 'unknown event_type ' || {{ quoted_excerpt('event_type_raw') }}
            when plan_id is null and event_type in ('item_started', 'item_changed')
                then 'missing plan_id on ' || event_type
            {{ optional_value_reason('quantity_raw', 'quantity', 'quantity', 'number') }}
            {{ optional_value_reason('unit_price_raw', 'unit_price', 'unit_price', 'number') }}
            {{ optional_value_reason('discount_percent_raw', 'discount_percent', 'discount_percent', 'number') }}
            {{ optional_value_reason('is_trial_raw', 'is_trial', 'is_trial', 'boolean') }}
            when quantity < 0 then 'negative quantity ' || trim(quantity_raw)
            when unit_price < 0 then 'negative unit_price ' || trim(unit_price_raw)
            when discount_percent < 0 or discount_percent > 100
                then 'discount_percent ' || trim(discount_percent_raw) || ' is outside 0-100'
        end as rejection_reason
    from typed
),

ranked as (
    {{ rank_within_key('flagged', 'event_id', 'event_id_rank', 'recorded_at desc nulls last') }}
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
        source_row_count,
        row_hash,
        case
            when rejection_reason is null and event_id_rank > 1
                then 'duplicate event_id with different content (kept the valid version recorded last)'
            else rejection_reason
        end as rejection_reason
    from ranked
)

select * from final

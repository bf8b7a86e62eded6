{{ per_customer_incremental_config() }}
-- One row per distinct raw event row, typed, with rejection_reason set when the row cannot be used.
-- Exact redeliveries are collapsed (source_row_count counts them); an event_id seen with different
-- content keeps the valid version recorded last (then the smallest row hash) and rejects the others.
{% call staged_raw_table(
    'subscription_events', per_customer=true, prefer='recorded_at desc nulls last',
    duplicate_reason='duplicate event_id with different content (kept the valid version recorded last)'
) %}
    {{ unusable_value_reasons(
        'subscription_events', ['event_id', 'customer_id', 'subscription_id', 'item_id', 'occurred_at']
    ) }}
    {{ earliest_valid_date_reason('occurred_at_raw', 'occurred_at', 'occurred_at') }}
    {{ unusable_value_reasons('subscription_events', ['recorded_at'], blank_allowed=true) }}
    {{ unusable_value_reasons('subscription_events', ['event_type']) }}
    when plan_id is null and event_type in ('item_started', 'item_changed')
        then 'missing plan_id on ' || event_type
    {{ unusable_value_reasons(
        'subscription_events', ['quantity', 'unit_price', 'discount_percent', 'is_trial'], blank_allowed=true
    ) }}
    when quantity < 0 then 'negative quantity ' || trim(quantity_raw)
    when unit_price < 0 then 'negative unit_price ' || trim(unit_price_raw)
    when discount_percent < 0 or discount_percent > 100
        then 'discount_percent ' || trim(discount_percent_raw) || ' is outside 0-100'
{% endcall %}

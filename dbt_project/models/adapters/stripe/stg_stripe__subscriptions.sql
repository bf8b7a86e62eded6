-- One row per distinct row of Stripe's subscription_history table (or the legacy subscription table),
-- typed (docs/adapters.md §2.2): earlier versions (_fivetran_active false) ignored (history_version); a
-- canceled or incomplete_expired subscription without ended_at rejected. An unknown customer is rejected in
-- int_stripe__subscriptions.
{%- set types = {
    'status': 'code', 'trial_start': 'timestamp', 'trial_end': 'timestamp', 'cancel_at': 'timestamp',
    'cancel_at_period_end': 'boolean', 'current_period_end': 'timestamp', 'ended_at': 'timestamp',
    '_fivetran_active': 'boolean'
} %}
{% call adapter_staged_table(
    'stripe', 'subscription_history', types, fallback_table='subscription',
    ignored_when={'history_version': '_fivetran_active = false'}
) %}
    {{ adapter_value_reasons(
        types, required=['customer_id', 'status'],
        optional=['trial_start', 'trial_end', 'cancel_at', 'cancel_at_period_end', 'current_period_end', 'ended_at',
            '_fivetran_active']
    ) }}
    when status in ('canceled', 'incomplete_expired') and ended_at is null
        then 'status ' || status || ' without ended_at'
{% endcall %}

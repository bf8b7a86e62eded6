-- One row per distinct row of Stripe's subscription_item table (the current items), typed (docs/adapters.md
-- §2.2, §2.5). An unknown subscription is rejected in int_stripe__items.
{%- set types = {'created': 'timestamp', 'quantity': 'decimal(18, 6)'} %}
{% call adapter_staged_table('stripe', 'subscription_item', types) %}
    {{ adapter_value_reasons(types, required=['subscription_id', 'created'], optional=['quantity']) }}
    when quantity < 0 then 'negative quantity ' || trim(quantity_raw)
{% endcall %}

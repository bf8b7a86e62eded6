-- One row per distinct row of Stripe's invoice table, typed (docs/adapters.md §2.2, §2.4). An unknown
-- customer is rejected in int_stripe__invoices.
{%- set types = {'created': 'timestamp', 'status': 'code', 'is_deleted': 'boolean'} %}
{% call adapter_staged_table('stripe', 'invoice', types) %}
    {{ adapter_value_reasons(types, required=['customer_id', 'created', 'status'], optional=['is_deleted']) }}
{% endcall %}

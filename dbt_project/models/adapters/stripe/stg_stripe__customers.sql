-- One row per distinct row of Stripe's customer table, typed (docs/adapters.md §2.2, §2.3): test-mode rows
-- ignored, rows sharing an id resolved by _fivetran_synced, a row without a readable created rejected.
{% call adapter_staged_table('stripe', 'customer', {'created': 'timestamp', 'address_country': 'country'}) %}
    {{ adapter_value_reasons({'created': 'timestamp'}, required=['created']) }}
{% endcall %}

-- One row per distinct row of Stripe's product table (docs/adapters.md §2.2, §2.3).
{% call adapter_staged_table('stripe', 'product', {}) %}
    when 1 = 0 then null
{% endcall %}

-- One row per distinct row of Stripe's subscription_discount table (optional; else the legacy discount
-- table, docs/adapters.md §2.1, §2.6). In the discount table, a row of an invoice, invoice item or checkout
-- session lowers one invoice (ignored, not_recurring) and a row without a subscription is a customer-level
-- coupon (rejected, not covered). The checks against coupons and subscriptions follow in
-- int_stripe__discount_windows.
{%- set types = {'starts_at': 'timestamp', 'ends_at': 'timestamp'} %}
{% call adapter_staged_table(
    'stripe', 'subscription_discount', types, fallback_table='discount',
    ignored_when={
        'not_recurring': 'coalesce(invoice_id, invoice_item_id, checkout_session_id) is not null'
    }
) %}
    when subscription_id is null then 'customer-level discount not covered (docs/adapters.md §2.9)'
    {{ adapter_value_reasons(types, required=['coupon_id', 'starts_at'], optional=['ends_at']) }}
{% endcall %}

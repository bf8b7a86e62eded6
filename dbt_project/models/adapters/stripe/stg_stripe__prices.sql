-- One row per distinct row of Stripe's price table (or the legacy plan table when price is absent), typed
-- (docs/adapters.md §2.2, §2.3): a price without a recurring interval is no plan (ignored, not_recurring);
-- tiered and transform-quantity prices, negative amounts, a blank amount on a licensed price, an interval
-- other than day/week/month/year and a count below 1 are rejected. An unknown product is rejected in
-- int_stripe__prices.
{%- set types = {
    'currency': 'currency', 'unit_amount_decimal': 'decimal(38, 12)', 'unit_amount': 'decimal(38, 12)',
    'recurring_interval': 'code', 'recurring_interval_count': 'integer', 'recurring_usage_type': 'code',
    'billing_scheme': 'code'
} %}
{% call adapter_staged_table(
    'stripe', 'price', types, fallback_table='plan', ignored_when={'not_recurring': 'recurring_interval is null'}
) %}
    {{ adapter_value_reasons(
        types, required=['product_id', 'currency'],
        optional=['unit_amount_decimal', 'unit_amount', 'recurring_interval_count']
    ) }}
    when billing_scheme = 'tiered' then 'tiered price not covered (docs/adapters.md §2.9)'
    when transform_quantity_divide_by is not null
        then 'transform_quantity price not covered (docs/adapters.md §2.9)'
    when coalesce(unit_amount_decimal, unit_amount) < 0
        then 'negative amount ' || trim(coalesce(unit_amount_decimal_raw, unit_amount_raw))
    when coalesce(unit_amount_decimal, unit_amount) is null and coalesce(recurring_usage_type, '') <> 'metered'
        then 'missing unit_amount on a licensed price'
    when recurring_interval not in ('day', 'week', 'month', 'year')
        then 'unknown recurring_interval ' || {{ quoted_excerpt('recurring_interval_raw') }}
    when recurring_interval_count < 1
        then 'recurring_interval_count ' || trim(recurring_interval_count_raw) || ' is below 1'
{% endcall %}

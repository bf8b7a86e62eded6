-- One row per distinct row of Stripe's coupon table (optional), typed (docs/adapters.md §2.6): once coupons
-- ignored (they lower one invoice, not the recurring price); an amount_off coupon, one with neither or both
-- amounts, or a percent_off outside (0, 100] rejected; a repeating coupon needs duration_in_months.
{%- set types = {
    'percent_off': 'decimal(9, 6)', 'amount_off': 'decimal(28, 6)', 'duration': 'code', 'duration_in_months': 'integer'
} %}
{% call adapter_staged_table('stripe', 'coupon', types) %}
    {{ adapter_value_reasons(
        types, required=['duration'], optional=['percent_off', 'amount_off', 'duration_in_months']
    ) }}
    when duration not in ('forever', 'repeating', 'once')
        then 'unknown duration ' || {{ quoted_excerpt('duration_raw') }}
    when percent_off is not null and amount_off is not null then 'coupon with both percent_off and amount_off'
    when amount_off is not null then 'amount_off coupon not converted (only percent_off coupons are)'
    when percent_off is null then 'coupon with neither percent_off nor amount_off'
    when percent_off <= 0 or percent_off > 100 then 'percent_off ' || trim(percent_off_raw) || ' is outside (0, 100]'
    when duration = 'repeating' and duration_in_months is null then 'missing duration_in_months on a repeating coupon'
{% endcall %}

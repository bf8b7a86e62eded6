-- One row per distinct row of subscription_periods, typed (docs/adapters.md §3): exact copies collapse;
-- rows sharing a subscription_id with different content are all rejected (there is no sync time to choose
-- by); a blank customer_id or start_date, an unparsable date or amount, a negative amount and an end_date
-- on or before start_date are rejected. currency blank: USD.
{%- set types = {
    'start_date': 'date', 'end_date': 'date', 'monthly_amount': 'decimal(18, 6)', 'currency': 'currency'
} %}
{% call adapter_staged_table('periods', 'subscription_periods', types) %}
    {{ adapter_value_reasons(
        types, required=['customer_id', 'start_date', 'monthly_amount'], optional=['end_date']
    ) }}
    when monthly_amount < 0 then 'negative monthly_amount ' || trim(monthly_amount_raw)
    when end_date <= start_date then 'end_date ' || trim(end_date_raw) || ' is not after start_date ' || trim(start_date_raw)
{% endcall %}

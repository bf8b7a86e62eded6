{{ per_customer_incremental_config() }}
-- One row per distinct raw one-time charge, typed, with rejection_reason set when it cannot be used
-- (staged_raw_table: the model's own checks below, then duplicates of a charge_id).
{% call staged_raw_table('one_time_charges', per_customer=true) %}
    {{ unusable_value_reasons('one_time_charges', ['charge_id', 'customer_id', 'charged_at']) }}
    {{ earliest_valid_date_reason('charged_at_raw', 'charged_at', 'charged_at') }}
    {{ unusable_value_reasons('one_time_charges', ['amount']) }}
    when amount < 0 then 'negative amount ' || trim(amount_raw)
    {{ unusable_value_reasons('one_time_charges', ['currency']) }}
{% endcall %}

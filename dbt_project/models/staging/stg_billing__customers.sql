{{ per_customer_incremental_config() }}
-- One row per distinct raw customer row, typed, with rejection_reason set when it cannot be used
-- (staged_raw_table: the model's own checks below, then duplicates of a customer_id).
{% call staged_raw_table(
    'customers', per_customer=true, prefer='created_at',
    duplicate_reason='duplicate customer_id with different content (kept the earliest created_at)'
) %}
    {{ unusable_value_reasons('customers', ['customer_id', 'created_at']) }}
    {{ unusable_value_reasons('customers', ['employee_count'], blank_allowed=true) }}
    when employee_count < 0 then 'negative employee_count ' || trim(employee_count_raw)
{% endcall %}

{{ per_customer_incremental_config() }}
-- One row per distinct raw usage charge, typed, with rejection_reason set when it cannot be used
-- (staged_raw_table: the model's own checks below, then duplicates of a charge_id).
{% call staged_raw_table('usage_charges', per_customer=true) %}
    {{ unusable_value_reasons('usage_charges', ['charge_id', 'customer_id', 'plan_id', 'period_start']) }}
    {{ earliest_valid_date_reason('period_start_raw', 'period_start', 'period_start') }}
    {{ unusable_value_reasons('usage_charges', ['period_end']) }}
    when period_end < period_start
        then 'period_end ' || cast(period_end as {{ text_type() }}) || ' is before period_start '
            || cast(period_start as {{ text_type() }})
    {{ unusable_value_reasons('usage_charges', ['amount']) }}
    {{ unusable_value_reasons('usage_charges', ['usage_quantity'], blank_allowed=true) }}
    when amount < 0 then 'negative amount ' || trim(amount_raw)
    when usage_quantity < 0 then 'negative usage_quantity ' || trim(usage_quantity_raw)
    {{ unusable_value_reasons('usage_charges', ['currency']) }}
{% endcall %}

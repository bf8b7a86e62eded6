{{ per_customer_incremental_config() }}
-- One row per distinct raw usage snapshot (customer x product x date x metric), typed and flagged
-- (staged_raw_table: the model's own checks below, then duplicates of the key). `value` is staged as
-- metric_value.
{% call staged_raw_table(
    'usage_snapshots', per_customer=true,
    duplicate_reason='duplicate snapshot (customer, product, date, metric) with a different value (kept one by content order)'
) %}
    {{ unusable_value_reasons('usage_snapshots', ['customer_id', 'product_id', 'snapshot_date']) }}
    {{ earliest_valid_date_reason('snapshot_date_raw', 'snapshot_date', 'snapshot_date') }}
    {{ unusable_value_reasons('usage_snapshots', ['metric', 'value']) }}
    when value < 0 then 'negative value ' || trim(value_raw)
{% endcall %}

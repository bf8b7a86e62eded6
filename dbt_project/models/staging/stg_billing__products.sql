-- One row per distinct raw product row, typed, with rejection_reason set when it cannot be used
-- (staged_raw_table: the model's own checks below, then duplicates of a product_id).
{% call staged_raw_table('products') %}
    {{ unusable_value_reasons('products', ['product_id', 'product_name', 'product_type']) }}
{% endcall %}

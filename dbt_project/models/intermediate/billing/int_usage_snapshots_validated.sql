{{ per_customer_incremental_config() }}
-- Usage snapshots that passed staging, checked against customers and products.
{{ validated_raw_rows(
    'usage_snapshots',
    references={'customer_id': ref('stg_billing__customers'), 'product_id': ref('stg_billing__products')},
    per_customer=true
) }}

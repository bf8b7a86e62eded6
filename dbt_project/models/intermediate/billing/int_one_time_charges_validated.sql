{{ per_customer_incremental_config() }}
-- One-time charges that passed staging, checked against customers and exchange rates, converted to the
-- reporting currency at the rate of the UTC day charged. Never MRR; part of expansion revenue.
-- rejection_reason is set on charges for an unknown customer or in a currency with no rate.
{{ validated_raw_rows(
    'one_time_charges',
    references={'customer_id': ref('stg_billing__customers')},
    per_customer=true,
    convert_amount=true
) }}

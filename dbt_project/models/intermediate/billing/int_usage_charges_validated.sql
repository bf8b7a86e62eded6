{{ per_customer_incremental_config() }}
-- Usage charges that passed staging, checked against customers, plans and exchange rates, converted to
-- the reporting currency at the rate of period_start (latest rate_date on or before it); product_id comes
-- from the plan. rejection_reason is set on charges for an unknown customer or plan, or in a currency with
-- no rate.
{{ validated_raw_rows(
    'usage_charges',
    references={'customer_id': ref('stg_billing__customers'), 'plan_id': ref('int_plans_validated')},
    carried={'plan_id': ['product_id']},
    per_customer=true,
    convert_amount=true
) }}

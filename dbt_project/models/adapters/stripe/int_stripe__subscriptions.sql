-- Stripe subscriptions checked against customers (docs/adapters.md §2.8): a subscription of an unknown
-- customer is rejected (checked_rejection_reason).
{{ rows_with_known_reference(ref('stg_stripe__subscriptions'), 'customer_id', ref('stg_stripe__customers')) }}

select * from final

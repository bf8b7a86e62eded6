-- Stripe invoices checked against customers (docs/adapters.md §2.4, §2.8): an invoice of an unknown
-- customer is rejected (checked_rejection_reason); a void or deleted invoice is ignored (void_invoice, with
-- its lines).
{{ rows_with_known_reference(ref('stg_stripe__invoices'), 'customer_id', ref('stg_stripe__customers')) }}

select
    *,
    status = 'void' or coalesce(is_deleted, false) as is_void
from final

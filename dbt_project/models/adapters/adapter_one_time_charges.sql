-- The raw contract's one-time charges as the stripe adapter derives them, as text (docs/adapters.md §2.7):
-- one per usable one-time line (no item, not a proration, a positive amount): charge_id = the line id, the
-- invoice's customer, charged_at = the invoice's created, amount times the currency's minor-unit factor,
-- category blank. periods and contract: empty.
{%- set lines = ref('int_stripe__invoice_lines') %}
{%- if source_kind() == 'stripe' %}
select
    id as charge_id,
    invoice_customer_id as customer_id,
    {{ timestamp_text('invoice_created') }} as charged_at,
    {{ as_text('cast(amount * ' ~ minor_unit_factor('currency') ~ ' as decimal(38, 9))') }} as amount,
    currency,
    cast(null as {{ text_type() }}) as category
from {{ lines }}
where kind = 'one_time' and line_ignored_as is null and line_rejection_reason is null
{%- else %}
{{ adapter_no_rows('one_time_charges') }}
{%- endif %}

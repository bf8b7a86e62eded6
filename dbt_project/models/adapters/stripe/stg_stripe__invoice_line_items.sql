-- One row per distinct row of Stripe's invoice_line_item table, typed (docs/adapters.md §2.2, §2.4): lines
-- with a temporary id (sub_...) ignored; a negative quantity, a line of an item without period_start and a
-- billed line whose period ends before it starts rejected. The checks against invoices, prices and items
-- follow in int_stripe__invoice_lines and int_stripe__item_lines.
{%- set types = {
    'proration': 'boolean', 'quantity': 'decimal(18, 6)', 'amount': 'decimal(28, 6)', 'currency': 'currency',
    'period_start': 'timestamp', 'period_end': 'timestamp'
} %}
{% call adapter_staged_table(
    'stripe', 'invoice_line_item', types, ignored_when={'temporary_id': "substr(id, 1, 4) = 'sub_'"}
) %}
    {{ adapter_value_reasons(
        types, required=['amount', 'currency'], optional=['proration', 'quantity', 'period_start', 'period_end']
    ) }}
    when quantity < 0 then 'negative quantity ' || trim(quantity_raw)
    when subscription_item_id is not null and period_start is null then 'missing period_start on an item line'
    when subscription_item_id is not null and proration is not true and period_end is null
        then 'missing period_end on a billed line'
    when subscription_item_id is not null and proration is not true and period_end <= period_start
        then 'period_end ' || trim(period_end_raw) || ' is not after period_start ' || trim(period_start_raw)
{% endcall %}

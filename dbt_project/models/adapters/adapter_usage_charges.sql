-- The raw contract's usage charges as the stripe adapter derives them, as text (docs/adapters.md §2.7): one
-- per usable billed line on a metered plan of a usable item. period_start = the UTC date of period_start;
-- period_end = the UTC date of period_end minus one day (never before period_start); usage_quantity = the
-- line's quantity; amount = amount times the currency's minor-unit factor. periods and contract: empty.
{%- set item_lines = ref('int_stripe__item_lines') %}
{%- set items = ref('int_stripe__items') %}
{%- if source_kind() == 'stripe' %}
with usage_lines as (
    select
        item_lines.*,
        items.customer_id
    from {{ item_lines }} as item_lines
    inner join {{ items }} as items
        on item_lines.item_id = items.item_id
    where item_lines.item_rejection_reason is null
        and items.item_rejection_reason is null
        and items.item_ignored_as is null
        and item_lines.kind = 'billed'
        and item_lines.pricing_model = 'usage'
),

final as (
    select
        line_id as charge_id,
        customer_id,
        item_id,
        plan_id,
        {{ as_text('cast(period_start as date)') }} as period_start,
        {{ as_text("greatest(cast(cast(period_end as date) - interval '1 day' as date), cast(period_start as date))") }}
            as period_end,
        {{ as_text('line_quantity') }} as usage_quantity,
        {{ as_text('cast(amount * ' ~ minor_unit_factor('currency') ~ ' as decimal(38, 9))') }} as amount,
        currency
    from usage_lines
)

select * from final
{%- else %}
{{ adapter_no_rows('usage_charges') }}
{%- endif %}

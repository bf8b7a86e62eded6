-- What became of every distinct row of every Stripe table (docs/adapters.md §2.8): used, ignored (outcome =
-- the category: test_mode, history_version, temporary_id, void_invoice, proration, not_recurring,
-- once_coupon, after_end, never_billed, ended_before_start) or rejected (with its reason). One outcome per
-- row, the first that applies in the order of §2.2 rule 8 and then of the checks. source_row_count counts
-- the exact copies the row stands for. adapter_reconciliation and rejected_rows read it.
with customers as (
    select * from {{ ref('stg_stripe__customers') }}
),

products as (
    select * from {{ ref('stg_stripe__products') }}
),

prices as (
    select * from {{ ref('int_stripe__prices') }}
),

subscriptions as (
    select * from {{ ref('int_stripe__subscriptions') }}
),

catalog_items as (
    select
        catalog_items.*,
        items.item_ignored_as,
        items.item_rejection_reason
    from {{ ref('stg_stripe__subscription_items') }} as catalog_items
    left join {{ ref('int_stripe__items') }} as items
        on catalog_items.id = items.item_id
        and catalog_items.ignored_as is null
        and catalog_items.rejection_reason is null
),

invoices as (
    select * from {{ ref('int_stripe__invoices') }}
),

item_lines as (
    select
        item_lines.invoice_id,
        item_lines.line_id,
        item_lines.kind,
        item_lines.pricing_model,
        item_lines.period_start,
        item_lines.item_rejection_reason,
        items.item_ignored_as,
        items.item_rejection_reason as item_row_rejection_reason,
        items.end_at,
        items.ends_at_credit,
        items.latest_credit_at
    from {{ ref('int_stripe__item_lines') }} as item_lines
    left join {{ ref('int_stripe__items') }} as items
        on item_lines.item_id = items.item_id
),

lines as (
    select
        lines.*,
        item_lines.kind as item_line_kind,
        item_lines.item_rejection_reason,
        item_lines.item_ignored_as,
        item_lines.end_at,
        item_lines.ends_at_credit,
        item_lines.latest_credit_at,
        item_lines.line_id is not null as is_item_line
    from {{ ref('int_stripe__invoice_lines') }} as lines
    left join item_lines
        on lines.invoice_id = item_lines.invoice_id
        and lines.id = item_lines.line_id
),

coupons as (
    select * from {{ ref('stg_stripe__coupons') }}
),

discounts as (
    select * from {{ ref('int_stripe__discount_windows') }}
),

outcomes as (
    {%- for relation, ignored, rejected in [
        ('customers', 'ignored_as', 'rejection_reason'),
        ('products', 'ignored_as', 'rejection_reason'),
        ('prices', 'ignored_as', 'rejection_reason'),
        ('subscriptions', 'ignored_as', 'checked_rejection_reason'),
        ('invoices', "coalesce(ignored_as, case when checked_rejection_reason is null and is_void then 'void_invoice' end)", 'checked_rejection_reason'),
        ('coupons', "coalesce(ignored_as, case when rejection_reason is null and duration = 'once' then 'once_coupon' end)", 'rejection_reason'),
        ('discounts', 'checked_ignored_as', 'checked_rejection_reason'),
    ] %}
    select
        source_table,
        {{ 'plan_id' if relation == 'prices' else 'id' }} as row_key,
        source_row_count,
        case
            when {{ ignored }} is not null then {{ ignored }}
            when {{ rejected }} is not null then 'rejected'
            else 'used'
        end as outcome,
        case when {{ ignored }} is null then {{ rejected }} end as reason
    from {{ relation }}
    union all
    {%- endfor %}
    select
        source_table,
        id as row_key,
        source_row_count,
        case
            when ignored_as is not null then ignored_as
            when rejection_reason is not null or item_rejection_reason is not null then 'rejected'
            when item_ignored_as is not null then item_ignored_as
            else 'used'
        end as outcome,
        case when ignored_as is null then coalesce(rejection_reason, item_rejection_reason) end as reason
    from catalog_items
    union all
    select
        source_table,
        invoice_id || ' / ' || id as row_key,
        source_row_count,
        case
            when line_ignored_as is not null then line_ignored_as
            when line_rejection_reason is not null or item_rejection_reason is not null then 'rejected'
            when kind = 'one_time' then 'used'
            when item_ignored_as is not null then item_ignored_as
            -- a billed line on a metered plan is a usage charge whatever the item's state
            when kind = 'billed' and pricing_model = 'usage' then 'used'
            when kind = 'credit' and ends_at_credit and period_start = latest_credit_at then 'used'
            when kind = 'credit' then 'proration'
            when end_at is not null and period_start >= end_at then 'after_end'
            else 'used'
        end as outcome,
        case when line_ignored_as is null then coalesce(line_rejection_reason, item_rejection_reason) end as reason
    from lines
),

final as (
    select
        source_table,
        coalesce(row_key, '(no key)') as row_key,
        cast(source_row_count as bigint) as source_row_count,
        outcome,
        reason
    from outcomes
)

select * from final

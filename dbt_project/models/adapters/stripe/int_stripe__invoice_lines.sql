-- Stripe invoice lines checked against invoices, prices and subscriptions, each with its kind
-- (docs/adapters.md §2.4): billed (an item, not a proration), change (an item, a proration with a positive
-- amount), credit (an item, a proration without one), one_time (no item, not a proration, a positive
-- amount) or other. line_ignored_as: test_mode (its invoice or subscription is in test mode), void_invoice
-- (its invoice is void or deleted), not_recurring (kind other); line_rejection_reason: an unknown or
-- rejected invoice or price, a price that is not recurring on an item line, a currency other than the
-- price's, a quantity other than 1 on a flat plan, a negative amount on a metered line. The checks that
-- need the line's item follow in int_stripe__item_lines.
with lines as (
    select * from {{ ref('stg_stripe__invoice_line_items') }}
),

invoices as (
    select * from {{ ref('int_stripe__invoices') }}
),

prices as (
    select * from {{ ref('int_stripe__prices') }}
    where ignored_as is null or ignored_as = 'not_recurring'
),

test_mode_subscriptions as (
    select distinct id from {{ ref('int_stripe__subscriptions') }}
    where ignored_as = 'test_mode'
),

classified as (
    select
        lines.*,
        coalesce(lines.price_id, lines.plan_id) as line_plan_id,
        case
            when lines.subscription_item_id is not null and lines.proration is not true then 'billed'
            when lines.subscription_item_id is not null and lines.proration and lines.amount > 0 then 'change'
            when lines.subscription_item_id is not null and lines.proration then 'credit'
            when lines.subscription_item_id is null and lines.proration is not true and lines.amount > 0
                then 'one_time'
            else 'other'
        end as kind,
        invoices.id as invoice_found,
        invoices.ignored_as as invoice_ignored_as,
        invoices.checked_rejection_reason as invoice_rejection_reason,
        invoices.is_void as invoice_is_void,
        invoices.customer_id as invoice_customer_id,
        invoices.created as invoice_created,
        test_mode_subscriptions.id is not null as subscription_in_test_mode,
        prices.plan_id as price_found,
        prices.ignored_as as price_ignored_as,
        prices.rejection_reason as price_rejection_reason,
        prices.pricing_model,
        prices.currency as price_currency
    from lines
    left join invoices
        on lines.invoice_id = invoices.id
    left join test_mode_subscriptions
        on lines.subscription_id = test_mode_subscriptions.id
    left join prices
        on coalesce(lines.price_id, lines.plan_id) = prices.plan_id
),

checked as (
    select
        *,
        case
            when ignored_as is not null then ignored_as
            when rejection_reason is not null then null
            when invoice_ignored_as = 'test_mode' or subscription_in_test_mode then 'test_mode'
            when invoice_found is null or invoice_rejection_reason is not null then null
            when invoice_is_void then 'void_invoice'
            when kind = 'other' then 'not_recurring'
        end as line_ignored_as
    from classified
),

final as (
    select
        *,
        case
            when line_ignored_as is not null then null
            when rejection_reason is not null then rejection_reason
            when invoice_found is null then 'unknown invoice_id ' || {{ quoted_excerpt('invoice_id') }}
            when invoice_rejection_reason is not null then 'invoice ' || invoice_id || ' is rejected'
            when line_plan_id is null then 'missing price_id and plan_id'
            when price_found is null then 'unknown price ' || {{ quoted_excerpt('line_plan_id') }}
            when price_rejection_reason is not null then 'price ' || line_plan_id || ' is rejected'
            when kind <> 'one_time' and price_ignored_as = 'not_recurring'
                then 'price ' || line_plan_id || ' of an item line is not recurring'
            when currency <> price_currency
                then 'currency ' || currency || ' differs from the currency ' || price_currency || ' of price '
                    || line_plan_id
            when kind in ('billed', 'change') and pricing_model = 'flat' and coalesce(quantity, 1) <> 1
                then 'quantity ' || trim(quantity_raw) || ' on flat plan ' || line_plan_id
            when kind = 'billed' and pricing_model = 'usage' and amount < 0
                then 'negative amount ' || trim(amount_raw) || ' on a metered line'
        end as line_rejection_reason
    from checked
)

select * from final

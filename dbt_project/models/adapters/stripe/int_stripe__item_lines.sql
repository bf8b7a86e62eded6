-- The usable lines of subscription items (billed, change and credit lines that passed
-- int_stripe__invoice_lines), each with its item's subscription (docs/adapters.md §2.5 step 1): the
-- subscription_item row's, else the smallest subscription_id of the item's lines. item_rejection_reason:
-- the item's subscription is not a current, usable subscription (all the item's lines are rejected); or
-- the line's subscription_id differs from its item's. An observation (billed or change line) states the
-- item's plan (price_id, else plan_id) and quantity (blank: 1; 1 on a metered plan, whose line quantity is
-- usage, D-51) from period_start.
with lines as (
    select * from {{ ref('int_stripe__invoice_lines') }}
    where line_ignored_as is null
        and line_rejection_reason is null
        and kind in ('billed', 'change', 'credit')
),

catalog_items as (
    select
        id,
        subscription_id
    from {{ ref('stg_stripe__subscription_items') }}
    where ignored_as is null and rejection_reason is null
),

line_subscriptions as (
    select
        subscription_item_id,
        min(subscription_id) as subscription_id
    from lines
    group by subscription_item_id
),

subscriptions as (
    select id from {{ ref('int_stripe__subscriptions') }}
    where ignored_as is null and checked_rejection_reason is null
),

final as (
    select
        lines.invoice_id,
        lines.id as line_id,
        lines.subscription_item_id as item_id,
        lines.subscription_id as line_subscription_id,
        coalesce(catalog_items.subscription_id, line_subscriptions.subscription_id) as subscription_id,
        lines.kind,
        case lines.kind when 'change' then 0 else 1 end as kind_order,
        lines.period_start,
        lines.period_end,
        lines.line_plan_id as plan_id,
        case when lines.pricing_model = 'usage' then cast(1 as decimal(18, 6)) else coalesce(lines.quantity, 1) end
            as quantity,
        lines.pricing_model,
        lines.amount,
        lines.currency,
        lines.quantity as line_quantity,
        lines.invoice_customer_id,
        case
            when subscriptions.id is null
                then 'unknown subscription '
                    || {{ quoted_excerpt("coalesce(catalog_items.subscription_id, line_subscriptions.subscription_id)") }}
                    || ' of item ' || lines.subscription_item_id
            when lines.subscription_id <> coalesce(catalog_items.subscription_id, line_subscriptions.subscription_id)
                then 'subscription_id ' || lines.subscription_id || ' differs from its item''s subscription '
                    || coalesce(catalog_items.subscription_id, line_subscriptions.subscription_id)
        end as item_rejection_reason
    from lines
    left join catalog_items
        on lines.subscription_item_id = catalog_items.id
    left join line_subscriptions
        on lines.subscription_item_id = line_subscriptions.subscription_item_id
    left join subscriptions
        on coalesce(catalog_items.subscription_id, line_subscriptions.subscription_id) = subscriptions.id
)

select * from final

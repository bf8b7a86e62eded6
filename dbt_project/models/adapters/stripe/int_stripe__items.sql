-- One row per Stripe subscription item (docs/adapters.md §2.5 steps 1-4): the ids of subscription_item and
-- of the usable item lines, with the item's subscription and customer, its start (the earlier of
-- subscription_item.created and the first observation) and end (the earliest of the subscription's
-- ended_at; when that is blank, its scheduled cancellation; for an item absent from subscription_item, the
-- period_start of its latest credit line when that is later than every observation, else the latest
-- period_end of its billed lines; none: open). item_ignored_as: test_mode (its subscription is in test
-- mode), never_billed (no observation), ended_before_start; item_rejection_reason: a subscription_item row
-- whose subscription is unknown or rejected. The last observation's plan and quantity feed the warning
-- when subscription_item says otherwise (adapter_warnings).
with item_lines as (
    select * from {{ ref('int_stripe__item_lines') }}
    where item_rejection_reason is null
),

catalog_items as (
    select * from {{ ref('stg_stripe__subscription_items') }}
    where ignored_as is null and rejection_reason is null
),

subscriptions as (
    select * from {{ ref('int_stripe__subscriptions') }}
    where ignored_as is null and checked_rejection_reason is null
),

test_mode_subscriptions as (
    select distinct id from {{ ref('int_stripe__subscriptions') }}
    where ignored_as = 'test_mode'
),

observations as (
    select
        *,
        row_number() over (
            partition by item_id order by period_start desc, kind_order desc, line_id desc
        ) as rank_from_last
    from item_lines
    where kind in ('billed', 'change')
),

line_summary as (
    select
        item_id,
        min(subscription_id) as subscription_id,
        min(case when kind in ('billed', 'change') then period_start end) as first_observed_at,
        max(case when kind in ('billed', 'change') then period_start end) as last_observed_at,
        max(case when kind = 'credit' then period_start end) as latest_credit_at,
        max(case when kind = 'billed' then period_end end) as latest_billed_end
    from item_lines
    group by item_id
),

item_ids as (
    select id as item_id from catalog_items
    union
    select item_id from line_summary
),

items as (
    select
        item_ids.item_id,
        catalog_items.id is not null as in_catalog,
        coalesce(catalog_items.subscription_id, line_summary.subscription_id) as subscription_id,
        catalog_items.created,
        catalog_items.plan_id as catalog_plan_id,
        catalog_items.quantity as catalog_quantity,
        line_summary.first_observed_at,
        line_summary.last_observed_at,
        line_summary.latest_credit_at,
        line_summary.latest_billed_end,
        last_observations.plan_id as last_observed_plan_id,
        last_observations.quantity as last_observed_quantity
    from item_ids
    left join catalog_items
        on item_ids.item_id = catalog_items.id
    left join line_summary
        on item_ids.item_id = line_summary.item_id
    left join observations as last_observations
        on item_ids.item_id = last_observations.item_id
        and last_observations.rank_from_last = 1
),

bounded as (
    select
        items.*,
        subscriptions.customer_id,
        subscriptions.status as subscription_status,
        subscriptions.trial_start,
        subscriptions.trial_end,
        test_mode_subscriptions.id is not null as subscription_in_test_mode,
        subscriptions.id is not null as subscription_is_usable,
        least(items.created, items.first_observed_at) as start_at,
        least(
            subscriptions.ended_at,
            case
                when subscriptions.ended_at is null
                    then coalesce(
                        subscriptions.cancel_at,
                        case when subscriptions.cancel_at_period_end then subscriptions.current_period_end end
                    )
            end,
            case
                when not items.in_catalog and items.latest_credit_at > items.last_observed_at
                    then items.latest_credit_at
                when not items.in_catalog then items.latest_billed_end
            end
        ) as end_at,
        not items.in_catalog and items.latest_credit_at > items.last_observed_at as ends_at_credit
    from items
    left join subscriptions
        on items.subscription_id = subscriptions.id
    left join test_mode_subscriptions
        on items.subscription_id = test_mode_subscriptions.id
),

final as (
    select
        *,
        case
            when subscription_in_test_mode then 'test_mode'
            when not subscription_is_usable then null
            when first_observed_at is null then 'never_billed'
            when end_at <= start_at then 'ended_before_start'
        end as item_ignored_as,
        case
            when not subscription_in_test_mode and not subscription_is_usable
                then 'unknown subscription ' || {{ quoted_excerpt('subscription_id') }} || ' of item ' || item_id
        end as item_rejection_reason
    from bounded
)

select * from final

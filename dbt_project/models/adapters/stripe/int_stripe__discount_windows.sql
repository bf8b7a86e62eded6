-- The discount windows of each subscription (docs/adapters.md §2.6): subscription_discount rows checked
-- against coupons and current subscriptions. A window runs [start, end): forever coupons to their end
-- (open when blank), repeating coupons to their end or, when blank, start + duration_in_months calendar
-- months; once coupons are ignored (once_coupon). A window ends no later than the next window of its
-- subscription starts (ordered by start, id): a newer coupon replaces the older one.
with discounts as (
    select * from {{ ref('stg_stripe__subscription_discounts') }}
),

coupons as (
    select * from {{ ref('stg_stripe__coupons') }}
    where ignored_as is null
),

subscriptions as (
    select id from {{ ref('int_stripe__subscriptions') }}
    where ignored_as is null and checked_rejection_reason is null
),

checked as (
    select
        discounts.*,
        coupons.percent_off,
        coupons.duration,
        coupons.duration_in_months,
        case
            when discounts.ignored_as is not null then null
            when discounts.rejection_reason is not null then discounts.rejection_reason
            when coupons.id is null then 'unknown coupon_id ' || {{ quoted_excerpt('discounts.coupon_id') }}
            when coupons.amount_off is not null and coupons.percent_off is null
                then 'amount_off coupon not converted; MRR of subscription ' || discounts.subscription_id
                    || ' shown undiscounted by up to '
                    || cast(cast(coupons.amount_off * 0.01 as decimal(28, 2)) as {{ text_type() }}) || ' per month'
            when coupons.rejection_reason is not null
                then 'coupon ' || coupons.id || ' is rejected: ' || coupons.rejection_reason
            when subscriptions.id is null
                then 'unknown subscription_id ' || {{ quoted_excerpt('discounts.subscription_id') }}
        end as checked_rejection_reason,
        case
            when discounts.ignored_as is not null then discounts.ignored_as
            when coupons.duration = 'once' then 'once_coupon'
        end as checked_ignored_as
    from discounts
    left join coupons
        on discounts.coupon_id = coupons.id
    left join subscriptions
        on discounts.subscription_id = subscriptions.id
),

windows as (
    select
        subscription_id,
        id as discount_id,
        percent_off,
        starts_at as window_start,
        coalesce(
            ends_at,
            case when duration = 'repeating' then {{ add_months_to_timestamp('starts_at', 'duration_in_months') }} end
        ) as coupon_end
    from checked
    where checked_rejection_reason is null and checked_ignored_as is null
),

final as (
    select
        checked.*,
        windows.percent_off as discount_percent,
        windows.window_start,
        least(
            windows.coupon_end,
            lead(windows.window_start) over (
                partition by windows.subscription_id order by windows.window_start, windows.discount_id
            )
        ) as window_end
    from checked
    left join windows
        on checked.id = windows.discount_id
)

select * from final

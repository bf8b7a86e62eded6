-- The contract's subscription events of every usable Stripe item (docs/adapters.md §2.5 steps 2 and 5-8).
-- Instants: the item's start, then every observation, pause bound, trial bound and discount bound strictly
-- between its start and end. The state at an instant is (plan, quantity, discount_percent, is_trial,
-- paused): plan and quantity of the winning observation at the latest instant at or before it (before the
-- first: the first observation's; at one instant, the last in the order kind change before billed, then
-- line id, wins: a regular line beats a proration line); paused inside a gap of the billed lines (walked
-- by period_start, id: a line starting after the latest period_end so far opens a pause until it starts)
-- or, for a subscription with status paused, from the final period_end on; is_trial inside [trial_start
-- (blank: the item's start), trial_end); the discount of the subscription's window then. An event is
-- emitted where the state differs from the previous one: item_started first, item_paused /
-- item_resumed when paused turns true / false, item_changed otherwise; item_ended at the end. Each carries
-- the full state: unit_price and currency are the plan's list price and currency.
with items as (
    select * from {{ ref('int_stripe__items') }}
    where item_ignored_as is null and item_rejection_reason is null
),

plans as (
    select * from {{ ref('int_stripe__prices') }}
    where ignored_as is null and rejection_reason is null
),

lines as (
    select item_lines.*
    from {{ ref('int_stripe__item_lines') }} as item_lines
    inner join items
        on item_lines.item_id = items.item_id
    where item_lines.item_rejection_reason is null
),

observations as (
    select
        lines.item_id,
        lines.period_start as observed_at,
        lines.plan_id,
        lines.quantity,
        row_number() over (
            partition by lines.item_id, lines.period_start order by lines.kind_order desc, lines.line_id desc
        ) as rank_at_instant,
        row_number() over (
            partition by lines.item_id order by lines.period_start, lines.kind_order, lines.line_id
        ) as rank_from_first
    from lines
    inner join items
        on lines.item_id = items.item_id
    where lines.kind in ('billed', 'change')
        and (items.end_at is null or lines.period_start < items.end_at)
),

winning_observations as (
    select * from observations
    where rank_at_instant = 1
),

first_observations as (
    select * from observations
    where rank_from_first = 1
),

billed_lines as (
    select
        item_id,
        period_start,
        period_end,
        max(period_end) over (
            partition by item_id order by period_start, line_id rows between unbounded preceding and 1 preceding
        ) as billed_until
    from lines
    where kind = 'billed'
),

pauses as (
    select
        item_id,
        billed_until as pause_start,
        period_start as pause_end
    from billed_lines
    where period_start > billed_until
    union all
    select
        billed_lines.item_id,
        max(billed_lines.period_end) as pause_start,
        cast(null as timestamp) as pause_end
    from billed_lines
    inner join items
        on billed_lines.item_id = items.item_id
    where items.subscription_status = 'paused'
    group by billed_lines.item_id
),

trials as (
    select
        item_id,
        coalesce(trial_start, start_at) as trial_from,
        trial_end as trial_to
    from items
    where trial_end is not null
),

discounts as (
    select
        items.item_id,
        windows.window_start,
        windows.window_end,
        windows.discount_percent
    from items
    inner join {{ ref('int_stripe__discount_windows') }} as windows
        on items.subscription_id = windows.subscription_id
    where windows.checked_rejection_reason is null and windows.checked_ignored_as is null
),

bounds as (
    select item_id, observed_at as instant from winning_observations
    union
    select item_id, pause_start from pauses
    union
    select item_id, pause_end from pauses
    where pause_end is not null
    union
    select item_id, trial_from from trials
    union
    select item_id, trial_to from trials
    union
    select item_id, window_start from discounts
    union
    select item_id, window_end from discounts
    where window_end is not null
),

instants as (
    select
        item_id,
        start_at as instant,
        false as is_end
    from items
    union all
    select
        bounds.item_id,
        bounds.instant,
        false as is_end
    from bounds
    inner join items
        on bounds.item_id = items.item_id
    where bounds.instant > items.start_at
        and (items.end_at is null or bounds.instant < items.end_at)
    union all
    select
        item_id,
        end_at as instant,
        true as is_end
    from items
    where end_at is not null
),

observed as (
    select
        instants.item_id,
        instants.instant,
        instants.is_end,
        winning_observations.plan_id,
        winning_observations.quantity,
        row_number() over (
            partition by instants.item_id, instants.instant order by winning_observations.observed_at desc
        ) as rank_before
    from instants
    left join winning_observations
        on instants.item_id = winning_observations.item_id
        and instants.instant >= winning_observations.observed_at
),

paused as (
    {{ state_at_instants('pauses', 'pause_start', 'pause_end', 'is_paused') }}
),

trialing as (
    {{ state_at_instants('trials', 'trial_from', 'trial_to', 'is_trial') }}
),

discounted as (
    {{ state_at_instants('discounts', 'window_start', 'window_end', 'discount_percent', value='discount_percent') }}
),

states as (
    select
        observed.item_id,
        observed.instant,
        observed.is_end,
        coalesce(observed.plan_id, first_observations.plan_id) as plan_id,
        case when observed.plan_id is null then first_observations.quantity else observed.quantity end as quantity,
        cast(discounted.discount_percent as decimal(9, 6)) as discount_percent,
        trialing.is_trial,
        paused.is_paused
    from observed
    inner join first_observations
        on observed.item_id = first_observations.item_id
    inner join paused
        on observed.item_id = paused.item_id
        and observed.instant = paused.instant
    inner join trialing
        on observed.item_id = trialing.item_id
        and observed.instant = trialing.instant
    inner join discounted
        on observed.item_id = discounted.item_id
        and observed.instant = discounted.instant
    where observed.rank_before = 1
),

sequenced as (
    select
        *,
        lag(plan_id) over (partition by item_id order by instant) as previous_plan_id,
        lag(quantity) over (partition by item_id order by instant) as previous_quantity,
        lag(discount_percent) over (partition by item_id order by instant) as previous_discount_percent,
        lag(is_trial) over (partition by item_id order by instant) as previous_is_trial,
        lag(is_paused) over (partition by item_id order by instant) as previous_is_paused,
        row_number() over (partition by item_id order by instant) as instant_number
    from states
),

emitted as (
    select
        *,
        case
            when is_end then 'item_ended'
            when instant_number = 1 then 'item_started'
            when is_paused and not previous_is_paused then 'item_paused'
            when not is_paused and previous_is_paused then 'item_resumed'
            else 'item_changed'
        end as event_type
    from sequenced
    where is_end
        or instant_number = 1
        or plan_id is distinct from previous_plan_id
        or quantity is distinct from previous_quantity
        or discount_percent is distinct from previous_discount_percent
        or is_trial is distinct from previous_is_trial
        or is_paused is distinct from previous_is_paused
),

final as (
    select
        emitted.item_id || ':' || {{ timestamp_text('emitted.instant', compact=true) }} as event_id,
        emitted.instant as occurred_at,
        items.customer_id,
        items.subscription_id,
        emitted.item_id,
        emitted.event_type,
        emitted.plan_id,
        emitted.quantity,
        plans.list_price as unit_price,
        plans.currency,
        emitted.discount_percent,
        emitted.is_trial,
        emitted.is_paused
    from emitted
    inner join items
        on emitted.item_id = items.item_id
    inner join plans
        on emitted.plan_id = plans.plan_id
)

select * from final

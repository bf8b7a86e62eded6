-- The raw contract's subscription events as the selected adapter derives them, as text (docs/adapters.md).
-- stripe: the events of every usable item (int_stripe__item_events; recorded_at = occurred_at). periods:
-- each usable period is subscription pb_sub_<id> with item pb_item_<id>: item_started at start_date
-- 00:00:00Z (event pb_evt_<id>_start: quantity 1, the plan's amount and currency, no discount, no trial)
-- and item_ended at end_date 00:00:00Z (pb_evt_<id>_end) unless end_date is blank. contract: empty.
{%- set stripe_events = ref('int_stripe__item_events') %}
{%- set periods = ref('stg_periods__subscription_periods') %}
{%- set periods_plans = ref('int_periods__plans') %}
{%- if source_kind() == 'stripe' %}
select
    event_id,
    {{ timestamp_text('occurred_at') }} as occurred_at,
    {{ timestamp_text('occurred_at') }} as recorded_at,
    customer_id,
    subscription_id,
    item_id,
    event_type,
    plan_id,
    {{ as_text('quantity') }} as quantity,
    {{ as_text('unit_price') }} as unit_price,
    currency,
    {{ as_text('discount_percent') }} as discount_percent,
    case when is_trial then 'true' else 'false' end as is_trial
from {{ stripe_events }}
{%- elif source_kind() == 'periods' %}
with periods as (
    select
        periods.*,
        plans.plan_id,
        plans.currency as plan_currency
    from {{ periods }} as periods
    inner join {{ periods_plans }} as plans
        on periods.monthly_amount = plans.monthly_amount
        and coalesce(periods.currency, 'USD') = plans.currency
    where periods.ignored_as is null and periods.rejection_reason is null
),

bounds as (
    select
        subscription_id,
        customer_id,
        plan_id,
        plan_currency,
        monthly_amount,
        'start' as bound,
        'item_started' as event_type,
        start_date as bound_date
    from periods
    union all
    select
        subscription_id,
        customer_id,
        plan_id,
        plan_currency,
        monthly_amount,
        'end' as bound,
        'item_ended' as event_type,
        end_date as bound_date
    from periods
    where end_date is not null
),

final as (
    select
        'pb_evt_' || subscription_id || '_' || bound as event_id,
        {{ as_text('bound_date') }} || 'T00:00:00Z' as occurred_at,
        {{ as_text('bound_date') }} || 'T00:00:00Z' as recorded_at,
        customer_id,
        'pb_sub_' || subscription_id as subscription_id,
        'pb_item_' || subscription_id as item_id,
        event_type,
        plan_id,
        '1' as quantity,
        {{ as_text('monthly_amount') }} as unit_price,
        plan_currency as currency,
        '0' as discount_percent,
        'false' as is_trial
    from bounds
)

select * from final
{%- else %}
{{ adapter_no_rows('subscription_events') }}
{%- endif %}

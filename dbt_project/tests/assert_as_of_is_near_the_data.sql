-- The as-of date (var as_of, SAAS_AS_OF, default today) may lie at most var max_days_as_of_beyond_data days
-- (default 366) after the latest valid subscription event: a typo such as 2100-01-01 would otherwise publish
-- every month up to 2100 with the last known MRR carried forward. Returns one row, with what to do, when it
-- lies further; none when var allow_as_of_beyond_data is true (saas-warehouse build --force-as-of), or when
-- there is no valid event at all. An as-of date before the latest event is fine (later events are ignored).
{%- set allowed = var('allow_as_of_beyond_data', false) | string | trim | lower in ('true', '1', 'yes') %}
{%- set max_days = var('max_days_as_of_beyond_data', 366) | int %}
with latest_event as (
    select cast(max(occurred_at) as date) as latest_event_date
    from {{ ref('int_subscription_events_validated') }}
    where rejection_reason is null
),

distance as (
    select
        {{ as_of_date() }} as as_of_date,
        latest_event_date,
        {{ days_between('latest_event_date', as_of_date()) }} as days_beyond_data
    from latest_event
),

final as (
    select
        as_of_date,
        latest_event_date,
        days_beyond_data,
        {{ max_days }} as max_days_as_of_beyond_data,
        'the as-of date is more than max_days_as_of_beyond_data days after the latest valid subscription '
        || 'event: set SAAS_AS_OF (saas-warehouse build --as-of YYYY-MM-DD) to a date near the data, or leave '
        || 'it empty for today; if this as-of date is intended (no events for a long time), build with '
        || 'saas-warehouse build --force-as-of (dbt var allow_as_of_beyond_data: true) or raise dbt var '
        || 'max_days_as_of_beyond_data' as what_to_do
    from distance
    where days_beyond_data > {{ max_days }}
)

select * from final
{%- if allowed %}
where 1 = 0
{%- endif %}

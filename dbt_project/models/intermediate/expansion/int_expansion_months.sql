-- The months of expansion intelligence (docs/expansion_intelligence.md): from the first month with usage
-- (the month of the earliest accepted usage snapshot) through the scoring month S (macro scoring_month:
-- the month before the as-of month, which is still in progress). Health and triggers are computed for
-- each of them, so that they can be backtested; a month has 90 days of future when M + 3 months <= S.
with usage_start as (
    select min({{ month_start('snapshot_date') }}) as first_month
    from ({{ accepted_rows(ref('int_usage_snapshots_validated')) }}) as snapshots
),

months as (
    {{ month_series('(select first_month from usage_start)', scoring_month()) }}
),

final as (
    select
        month,
        month = {{ scoring_month() }} as is_scoring_month,
        {{ add_months('month', 3) }} <= {{ scoring_month() }} as has_90_days_of_future
    from months
    where month is not null
)

select * from final

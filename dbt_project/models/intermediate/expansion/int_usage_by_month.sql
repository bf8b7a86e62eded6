-- Monthly usage per customer x product x metric (docs/expansion_intelligence.md): the value of the
-- latest accepted usage snapshot dated inside the month (the contract's month-to-date consumption),
-- for every month through the scoring month S. No snapshot in a month: no row (not 0). Engagement
-- metrics without a plan limit (logins) are kept: the usage trend of the health score reads them.
with snapshots as (
    {{ accepted_rows(ref('int_usage_snapshots_validated')) }}
),

dated as (
    select
        customer_id,
        product_id,
        metric,
        {{ month_start('snapshot_date') }} as month,
        snapshot_date,
        metric_value,
        row_number() over (
            partition by customer_id, product_id, metric, {{ month_start('snapshot_date') }}
            order by snapshot_date desc
        ) as recency
    from snapshots
    where snapshot_date < {{ add_months(scoring_month(), 1) }}
),

final as (
    select
        month,
        customer_id,
        product_id,
        metric,
        snapshot_date,
        cast(metric_value as decimal(24, 6)) as monthly_usage
    from dated
    where recency = 1
)

select * from final

{{ per_customer_incremental_config() }}
-- One row per distinct raw usage snapshot (customer x product x date x metric), typed and flagged.
with collapsed as (
    {{ collapse_exact_duplicates('usage_snapshots', per_customer=true) }}
),

typed as (
    select
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(product_id), '') as product_id,
        {{ parse_raw('usage_snapshots', 'snapshot_date') }} as snapshot_date,
        {{ parse_raw('usage_snapshots', 'metric') }} as metric,
        {{ parse_raw('usage_snapshots', 'value') }} as metric_value,
        snapshot_date as snapshot_date_raw,
        value as value_raw,
        source_row_count,
        row_hash
    from collapsed
),

flagged as (
    select
        *,
        case
            when customer_id is null then 'missing customer_id'
            when product_id is null then 'missing product_id'
            {{ required_value_reason('snapshot_date_raw', 'snapshot_date', 'snapshot_date', 'date') }}
            {{ earliest_valid_date_reason('snapshot_date_raw', 'snapshot_date', 'snapshot_date') }}
            when metric is null then 'missing metric'
            {{ required_value_reason('value_raw', 'metric_value', 'value', 'number') }}
            when metric_value < 0 then 'negative value ' || trim(value_raw)
        end as rejection_reason
    from typed
),

ranked as (
    {{ rank_within_key('flagged', 'customer_id, product_id, snapshot_date, metric', 'snapshot_rank') }}
),

final as (
    select
        customer_id,
        product_id,
        snapshot_date,
        metric,
        metric_value,
        source_row_count,
        row_hash,
        case
            when rejection_reason is null and snapshot_rank > 1
                then 'duplicate snapshot (customer, product, date, metric) with a different value (kept one by content order)'
            else rejection_reason
        end as rejection_reason
    from ranked
)

select * from final

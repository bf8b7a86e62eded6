-- One row per distinct raw plan limit row (plan x metric), typed, with rejection_reason set when unusable.
with collapsed as (
    {{ collapse_exact_duplicates('plan_limits') }}
),

typed as (
    select
        nullif(trim(plan_id), '') as plan_id,
        {{ parse_raw('plan_limits', 'metric') }} as metric,
        {{ parse_raw('plan_limits', 'limit_value') }} as limit_value,
        coalesce({{ parse_raw('plan_limits', 'per_unit_limit') }}, false) as per_unit_limit,
        limit_value as limit_value_raw,
        per_unit_limit as per_unit_limit_raw,
        {{ parse_raw('plan_limits', 'per_unit_limit') }} as per_unit_limit_parsed,
        source_row_count,
        row_hash
    from collapsed
),

flagged as (
    select
        *,
        case
            when plan_id is null then 'missing plan_id'
            when metric is null then 'missing metric'
            {{ required_value_reason('limit_value_raw', 'limit_value', 'limit_value', 'number') }}
            {{ optional_value_reason('per_unit_limit_raw', 'per_unit_limit_parsed', 'per_unit_limit', 'boolean') }}
            when limit_value < 0 then 'negative limit_value ' || trim(limit_value_raw)
        end as rejection_reason
    from typed
),

ranked as (
    {{ rank_within_key('flagged', 'plan_id, metric', 'plan_metric_rank') }}
),

final as (
    select
        plan_id,
        metric,
        limit_value,
        per_unit_limit,
        source_row_count,
        row_hash,
        case
            when rejection_reason is null and plan_metric_rank > 1
                then 'duplicate plan_id and metric with different content (kept one by content order)'
            else rejection_reason
        end as rejection_reason
    from ranked
)

select * from final

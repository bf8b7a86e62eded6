-- One row per distinct raw plan row, typed, with rejection_reason set when it cannot be used.
with collapsed as (
    {{ collapse_exact_duplicates('plans') }}
),

typed as (
    select
        nullif(trim(plan_id), '') as plan_id,
        nullif(trim(product_id), '') as product_id,
        nullif(trim(plan_name), '') as plan_name,
        {{ parse_raw('plans', 'tier_rank') }} as tier_rank,
        {{ parse_raw('plans', 'pricing_model') }} as pricing_model,
        {{ parse_raw('plans', 'billing_interval') }} as billing_interval,
        coalesce({{ parse_raw('plans', 'billing_interval_count') }}, 1) as billing_interval_count,
        {{ parse_raw('plans', 'list_price') }} as list_price,
        {{ parse_raw('plans', 'currency') }} as currency,
        tier_rank as tier_rank_raw,
        pricing_model as pricing_model_raw,
        billing_interval as billing_interval_raw,
        billing_interval_count as billing_interval_count_raw,
        {{ parse_raw('plans', 'billing_interval_count') }} as billing_interval_count_parsed,
        list_price as list_price_raw,
        source_row_count,
        row_hash
    from collapsed
),

flagged as (
    select
        *,
        case
            when plan_id is null then 'missing plan_id'
            when product_id is null then 'missing product_id'
            when plan_name is null then 'missing plan_name'
            {{ required_value_reason('tier_rank_raw', 'tier_rank', 'tier_rank', 'whole number') }}
            when pricing_model is null then 'missing pricing_model'
            when pricing_model not in ('flat', 'per_unit', 'usage')
                then 'unknown pricing_model ' || {{ quoted_excerpt('pricing_model_raw') }}
            when billing_interval is null then 'missing billing_interval'
            when billing_interval not in ('day', 'week', 'month', 'year')
                then 'unknown billing_interval ' || {{ quoted_excerpt('billing_interval_raw') }}
            {{ optional_value_reason(
                'billing_interval_count_raw', 'billing_interval_count_parsed', 'billing_interval_count', 'whole number'
            ) }}
            when billing_interval_count <= 0
                then 'billing_interval_count ' || trim(billing_interval_count_raw) || ' is not positive'
            {{ optional_value_reason('list_price_raw', 'list_price', 'list_price', 'number') }}
            when list_price is null and pricing_model <> 'usage' then 'missing list_price on a ' || pricing_model || ' plan'
            when list_price < 0 then 'negative list_price ' || trim(list_price_raw)
            when currency is null then 'missing currency'
        end as rejection_reason
    from typed
),

ranked as (
    {{ rank_within_key('flagged', 'plan_id', 'plan_id_rank') }}
),

final as (
    select
        plan_id,
        product_id,
        plan_name,
        tier_rank,
        pricing_model,
        billing_interval,
        billing_interval_count,
        list_price,
        currency,
        source_row_count,
        row_hash,
        case
            when rejection_reason is null and plan_id_rank > 1
                then 'duplicate plan_id with different content (kept one by content order)'
            else rejection_reason
        end as rejection_reason
    from ranked
)

select * from final

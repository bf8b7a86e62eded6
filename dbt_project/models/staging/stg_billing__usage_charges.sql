{{ per_customer_incremental_config() }}
-- One row per distinct raw usage charge, typed, with rejection_reason set when it cannot be used.
with collapsed as (
    {{ collapse_exact_duplicates('usage_charges', per_customer=true) }}
),

typed as (
    select
        nullif(trim(charge_id), '') as charge_id,
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(item_id), '') as item_id,
        nullif(trim(plan_id), '') as plan_id,
        {{ parse_raw('usage_charges', 'period_start') }} as period_start,
        {{ parse_raw('usage_charges', 'period_end') }} as period_end,
        {{ parse_raw('usage_charges', 'usage_quantity') }} as usage_quantity,
        {{ parse_raw('usage_charges', 'amount') }} as amount,
        {{ parse_raw('usage_charges', 'currency') }} as currency,
        period_start as period_start_raw,
        period_end as period_end_raw,
        usage_quantity as usage_quantity_raw,
        amount as amount_raw,
        source_row_count,
        row_hash
    from collapsed
),

flagged as (
    select
        *,
        case
            when charge_id is null then 'missing charge_id'
            when customer_id is null then 'missing customer_id'
            when plan_id is null then 'missing plan_id'
            {{ required_value_reason('period_start_raw', 'period_start', 'period_start', 'date') }}
            {{ earliest_valid_date_reason('period_start_raw', 'period_start', 'period_start') }}
            {{ required_value_reason('period_end_raw', 'period_end', 'period_end', 'date') }}
            when period_end < period_start
                then 'period_end ' || cast(period_end as {{ text_type() }}) || ' is before period_start '
                    || cast(period_start as {{ text_type() }})
            {{ required_value_reason('amount_raw', 'amount', 'amount', 'number') }}
            {{ optional_value_reason('usage_quantity_raw', 'usage_quantity', 'usage_quantity', 'number') }}
            when amount < 0 then 'negative amount ' || trim(amount_raw)
            when usage_quantity < 0 then 'negative usage_quantity ' || trim(usage_quantity_raw)
            when currency is null then 'missing currency'
        end as rejection_reason
    from typed
),

ranked as (
    {{ rank_within_key('flagged', 'charge_id', 'charge_id_rank') }}
),

final as (
    select
        charge_id,
        customer_id,
        item_id,
        plan_id,
        period_start,
        period_end,
        usage_quantity,
        amount,
        currency,
        source_row_count,
        row_hash,
        case
            when rejection_reason is null and charge_id_rank > 1
                then 'duplicate charge_id with different content (kept one by content order)'
            else rejection_reason
        end as rejection_reason
    from ranked
)

select * from final

{{ per_customer_incremental_config() }}
-- One row per distinct raw one-time charge, typed, with rejection_reason set when it cannot be used.
with collapsed as (
    {{ collapse_exact_duplicates('one_time_charges', per_customer=true) }}
),

typed as (
    select
        nullif(trim(charge_id), '') as charge_id,
        nullif(trim(customer_id), '') as customer_id,
        {{ parse_raw('one_time_charges', 'charged_at') }} as charged_at,
        {{ parse_raw('one_time_charges', 'amount') }} as amount,
        {{ parse_raw('one_time_charges', 'currency') }} as currency,
        {{ parse_raw('one_time_charges', 'category') }} as category,
        charged_at as charged_at_raw,
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
            {{ required_value_reason('charged_at_raw', 'charged_at', 'charged_at', 'ISO 8601 timestamp') }}
            {{ earliest_valid_date_reason('charged_at_raw', 'charged_at', 'charged_at') }}
            {{ required_value_reason('amount_raw', 'amount', 'amount', 'number') }}
            when amount < 0 then 'negative amount ' || trim(amount_raw)
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
        charged_at,
        amount,
        currency,
        category,
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

-- One row per distinct raw exchange rate (date x currency), typed, with rejection_reason when unusable.
with collapsed as (
    {{ collapse_exact_duplicates('fx_rates') }}
),

typed as (
    select
        {{ parse_raw('fx_rates', 'rate_date') }} as rate_date,
        {{ parse_raw('fx_rates', 'currency') }} as currency,
        {{ parse_raw('fx_rates', 'rate_to_reporting') }} as rate_to_reporting,
        rate_date as rate_date_raw,
        rate_to_reporting as rate_to_reporting_raw,
        source_row_count,
        row_hash
    from collapsed
),

flagged as (
    select
        *,
        case
            {{ required_value_reason('rate_date_raw', 'rate_date', 'rate_date', 'date') }}
            {{ earliest_valid_date_reason('rate_date_raw', 'rate_date', 'rate_date') }}
            when currency is null then 'missing currency'
            {{ required_value_reason('rate_to_reporting_raw', 'rate_to_reporting', 'rate_to_reporting', 'number') }}
            when rate_to_reporting <= 0 then 'rate_to_reporting ' || trim(rate_to_reporting_raw) || ' is not positive'
        end as rejection_reason
    from typed
),

ranked as (
    {{ rank_within_key('flagged', 'rate_date, currency', 'rate_rank') }}
),

final as (
    select
        rate_date,
        currency,
        rate_to_reporting,
        source_row_count,
        row_hash,
        case
            when rejection_reason is null and rate_rank > 1
                then 'duplicate rate_date and currency with a different rate (kept one by content order)'
            else rejection_reason
        end as rejection_reason
    from ranked
)

select * from final

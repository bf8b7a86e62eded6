{{ per_customer_incremental_config() }}
-- One row per distinct raw customer row, typed, with rejection_reason set when it cannot be used.
with collapsed as (
    {{ collapse_exact_duplicates('customers', per_customer=true) }}
),

typed as (
    select
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(customer_name), '') as customer_name,
        {{ parse_raw('customers', 'created_at') }} as created_at,
        upper(nullif(trim(country), '')) as country,
        nullif(trim(industry), '') as industry,
        {{ parse_raw('customers', 'employee_count') }} as employee_count,
        created_at as created_at_raw,
        employee_count as employee_count_raw,
        source_row_count,
        row_hash
    from collapsed
),

flagged as (
    select
        *,
        case
            when customer_id is null then 'missing customer_id'
            {{ required_value_reason('created_at_raw', 'created_at', 'created_at', 'ISO 8601 timestamp') }}
            {{ optional_value_reason('employee_count_raw', 'employee_count', 'employee_count', 'whole number') }}
            when employee_count < 0 then 'negative employee_count ' || trim(employee_count_raw)
        end as rejection_reason
    from typed
),

ranked as (
    {{ rank_within_key('flagged', 'customer_id', 'customer_id_rank', 'created_at') }}
),

final as (
    select
        customer_id,
        customer_name,
        created_at,
        country,
        industry,
        employee_count,
        source_row_count,
        row_hash,
        case
            when rejection_reason is null and customer_id_rank > 1
                then 'duplicate customer_id with different content (kept the earliest created_at)'
            else rejection_reason
        end as rejection_reason
    from ranked
)

select * from final

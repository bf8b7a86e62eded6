-- One row per distinct raw product row, typed, with rejection_reason set when it cannot be used.
with collapsed as (
    {{ collapse_exact_duplicates('products') }}
),

typed as (
    select
        nullif(trim(product_id), '') as product_id,
        nullif(trim(product_name), '') as product_name,
        {{ parse_raw('products', 'product_type') }} as product_type,
        nullif(trim(base_product_id), '') as base_product_id,
        product_type as product_type_raw,
        source_row_count,
        row_hash
    from collapsed
),

flagged as (
    select
        *,
        case
            when product_id is null then 'missing product_id'
            when product_name is null then 'missing product_name'
            when product_type is null then 'missing product_type'
            when product_type not in ('core', 'add_on')
                then 'unknown product_type ' || {{ quoted_excerpt('product_type_raw') }}
        end as rejection_reason
    from typed
),

ranked as (
    {{ rank_within_key('flagged', 'product_id', 'product_id_rank') }}
),

final as (
    select
        product_id,
        product_name,
        product_type,
        base_product_id,
        source_row_count,
        row_hash,
        case
            when rejection_reason is null and product_id_rank > 1
                then 'duplicate product_id with different content (kept one by content order)'
            else rejection_reason
        end as rejection_reason
    from ranked
)

select * from final

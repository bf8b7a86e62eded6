-- Stripe prices as the contract's plans (docs/adapters.md §2.3): one per usable recurring price; a price of
-- an unknown product is rejected. list_price = the amount (unit_amount_decimal, else unit_amount) times the
-- currency's minor-unit factor; metered prices are usage plans without a list price; metadata
-- saas_pricing_model = flat makes a flat plan, every other price is per_unit; tier_rank = metadata
-- saas_tier_rank when it is an integer, else the dense rank of the monthly list price among the non-usage
-- plans of the product and currency (usage plans: 1).
with prices as (
    select * from {{ ref('stg_stripe__prices') }}
),

products as (
    select id from {{ ref('stg_stripe__products') }}
    where ignored_as is null and rejection_reason is null
),

checked as (
    select
        prices.*,
        case
            when prices.ignored_as is null and prices.rejection_reason is null and products.id is null
                then 'unknown product_id ' || {{ quoted_excerpt('prices.product_id') }}
            else prices.rejection_reason
        end as checked_rejection_reason
    from prices
    left join products
        on prices.product_id = products.id
),

priced as (
    select
        *,
        case
            when recurring_usage_type = 'metered' then 'usage'
            when {{ json_text('metadata', 'saas_pricing_model') }} = 'flat' then 'flat'
            else 'per_unit'
        end as pricing_model,
        coalesce(recurring_interval_count, 1) as interval_count,
        cast(
            coalesce(unit_amount_decimal, unit_amount) * {{ minor_unit_factor('currency') }} as decimal(38, 12)
        ) as amount,
        {{ parse_as('integer', json_text('metadata', 'saas_tier_rank')) }} as metadata_tier_rank
    from checked
),

ranked as (
    select
        *,
        case
            when pricing_model = 'usage' or ignored_as is not null or checked_rejection_reason is not null
                then null
            else dense_rank() over (
                partition by
                    product_id,
                    currency,
                    pricing_model = 'usage' or ignored_as is not null or checked_rejection_reason is not null
                order by {{ monthly_amount('amount', '1', '0', 'recurring_interval', 'interval_count') }}
            )
        end as price_rank
    from priced
),

final as (
    select
        id as plan_id,
        product_id,
        coalesce(nickname, id) as plan_name,
        coalesce(metadata_tier_rank, case when pricing_model = 'usage' then 1 else price_rank end) as tier_rank,
        pricing_model,
        recurring_interval as billing_interval,
        interval_count as billing_interval_count,
        case when pricing_model <> 'usage' then amount end as list_price,
        currency,
        source_table,
        source_row_count,
        row_hash,
        ignored_as,
        checked_rejection_reason as rejection_reason
    from ranked
)

select * from final

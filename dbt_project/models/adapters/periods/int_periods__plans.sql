-- The plans of the periods adapter (docs/adapters.md §3): one per distinct (monthly amount, currency) of
-- the usable periods. plan_id = pb_month_<amount as a plain decimal without trailing zeros>, with
-- _<CURRENCY> appended when the currency is not USD; a flat monthly plan of product playbook; tier_rank =
-- the dense rank of the amount within its currency (1 = lowest).
with periods as (
    select
        monthly_amount,
        coalesce(currency, 'USD') as currency
    from {{ ref('stg_periods__subscription_periods') }}
    where ignored_as is null and rejection_reason is null
),

amounts as (
    select distinct
        monthly_amount,
        currency
    from periods
),

final as (
    select
        'pb_month_' || {{ plain_decimal_text('monthly_amount') }}
            || case when currency <> 'USD' then '_' || currency else '' end as plan_id,
        monthly_amount,
        currency,
        dense_rank() over (partition by currency order by monthly_amount) as tier_rank
    from amounts
)

select * from final

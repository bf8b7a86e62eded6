-- Each usable exchange rate with the day it stops applying (the next rate_date of its currency), so
-- that "the latest rate_date on or before a day" is a plain range join. The reporting currency is
-- always 1, with or without rows in fx_rates.
with rates as (
    select
        rate_date,
        currency,
        rate_to_reporting
    from {{ ref('stg_billing__fx_rates') }}
    where rejection_reason is null
        and currency <> '{{ reporting_currency() }}'
),

final as (
    select
        currency,
        rate_date as valid_from_date,
        lead(rate_date) over (partition by currency order by rate_date) as valid_until_date,
        rate_to_reporting
    from rates
    union all
    select
        '{{ reporting_currency() }}' as currency,
        cast('0001-01-01' as date) as valid_from_date,
        cast(null as date) as valid_until_date,
        cast(1 as {{ rate_type() }}) as rate_to_reporting
)

select * from final

-- The reporting months: from the first month with any item state or usage charge (the start of
-- history) through the as-of month (var as_of / SAAS_AS_OF, default today).
with history_start as (
    select min(first_month) as first_month
    from (
        select min({{ month_start('valid_from') }}) as first_month
        from {{ ref('int_item_states') }}
        union all
        select min({{ month_start('period_start') }}) as first_month
        from {{ ref('stg_billing__usage_charges') }}
        where rejection_reason is null
    ) as starts
),

final as (
    {{ month_series(
        '(select first_month from history_start)',
        month_start(as_of_date())
    ) }}
)

select
    month,
    {{ add_months('month', 1) }} as next_month
from final

-- Usage MRR per customer, product and month (metrics spec §1): each usage charge counts in the calendar
-- months of its period, spread by days. Each month's share is the difference of two exact cumulative
-- shares (days through the month's end, days before its start), so the shares of a charge add up to
-- its amount exactly. Months after the as-of month are left out.
with charges as (
    select * from {{ ref('int_usage_charges__validated') }}
    where rejection_reason is null
),

months as (
    select * from {{ ref('int_months') }}
),

charge_months as (
    select
        charges.charge_id,
        charges.customer_id,
        charges.product_id,
        charges.amount_reporting,
        months.month,
        {{ days_between('charges.period_start', 'charges.period_end') }} + 1 as period_days,
        least(
            {{ days_between('charges.period_start', 'charges.period_end') }} + 1,
            {{ days_between('charges.period_start', 'months.next_month') }}
        ) as days_through_month_end,
        greatest({{ days_between('charges.period_start', 'months.month') }}, 0) as days_before_month
    from charges
    inner join months
        on {{ month_start('charges.period_start') }} <= months.month
        and charges.period_end >= months.month
),

shares as (
    select
        customer_id,
        product_id,
        month,
        {{ exact_divide('amount_reporting * days_through_month_end', 'period_days') }}
            - {{ exact_divide('amount_reporting * days_before_month', 'period_days') }} as usage_mrr
    from charge_months
),

final as (
    select
        customer_id,
        product_id,
        month,
        sum(usage_mrr) as usage_mrr
    from shares
    group by
        customer_id,
        product_id,
        month
)

select * from final

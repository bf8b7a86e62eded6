{{ per_customer_incremental_config() }}
-- Usage MRR per customer, product and month (metrics spec §1): each usage charge counts in the calendar
-- months of its period, spread by days. Each month's share is the difference of two exact cumulative
-- shares (days through the month's end, days before its start), so the shares of a charge add up to
-- its amount exactly. Every month of the period is kept (also after the as-of month: the marts cut at
-- the as-of month), so that incremental builds do not depend on the as-of date.
with charges as (
    {{ accepted_rows(ref('int_usage_charges_validated'), build_scope_only=true) }}
),

month_range as (
    select
        min({{ month_start('period_start') }}) as first_month,
        max({{ month_start('period_end') }}) as last_month
    from charges
),

calendar as (
    {{ month_series('(select first_month from month_range)', '(select last_month from month_range)') }}
),

months as (
    select
        month,
        {{ add_months('month', 1) }} as next_month
    from calendar
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

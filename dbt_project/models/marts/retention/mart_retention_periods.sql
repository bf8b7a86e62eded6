-- Quarterly and yearly retention (calendar quarters and years, period_type = 'quarter' / 'year'). The
-- period runs from its first month to its last month, or to the as-of month while it is not over
-- (is_complete = false: quarter- or year-to-date). Customer-based, as the 12-month figures:
--   S = customers active at the end of the month before the period, E = active at the end of the period,
--   N = active at the end but not in S
--   nrr = Σ_{c in S} MRR(c, end) / Σ_{c in S} MRR(c, start); grr = Σ_{c in S} min(MRR(c, end), MRR(c, start)) / same
--   customer_retention_rate = (E − N) / S; logo_churn_rate = (customers of S not active at the end) / S
--   quick_ratio = Σ (new + reactivation + expansion) / Σ (contraction + churn) over the period's months
with months as (
    select month from {{ ref('int_months') }}
),

customer_months as (
    select * from {{ ref('fct_mrr') }}
),

bridge as (
    {{ mrr_bridge_total() }}
),

month_periods as (
    select
        'quarter' as period_type,
        {{ add_months('month', '-((extract(month from month) - 1) % 3)') }} as period_start,
        month
    from months
    union all
    select
        'year' as period_type,
        {{ add_months('month', '-(extract(month from month) - 1)') }} as period_start,
        month
    from months
),

periods as (
    select
        period_type,
        period_start,
        max(month) as period_end_month,
        {{ is_complete_month(add_months('period_start', "case when period_type = 'quarter' then 2 else 11 end")) }}
            as is_complete
    from month_periods
    group by
        period_type,
        period_start
),

period_movements as (
    select
        month_periods.period_type,
        month_periods.period_start,
        sum(bridge.new_mrr + bridge.reactivation_mrr + bridge.expansion_mrr) as gains_mrr,
        sum(bridge.contraction_mrr + bridge.churn_mrr) as losses_mrr
    from month_periods
    inner join bridge
        on month_periods.month = bridge.month
    group by
        month_periods.period_type,
        month_periods.period_start
),

starting_totals as (
    {{ starting_customer_totals(
        'periods', ['period_type', 'period_start'], add_months('periods.period_start', -1), 'periods.period_end_month'
    ) }}
),

ending_totals as (
    select
        periods.period_type,
        periods.period_start,
        count(*) as customers_end
    from periods
    inner join customer_months
        on periods.period_end_month = customer_months.month
        and customer_months.is_active
    group by
        periods.period_type,
        periods.period_start
),

final as (
    select
        periods.period_type,
        periods.period_start,
        periods.period_end_month,
        periods.is_complete,
        cast(coalesce(starting_totals.customers_start, 0) as bigint) as customers_start,
        cast(coalesce(ending_totals.customers_end, 0) as bigint) as customers_end,
        cast(
            coalesce(ending_totals.customers_end, 0) - coalesce(starting_totals.customers_retained, 0) as bigint
        ) as customers_new_in_period,
        cast(coalesce(starting_totals.mrr_start, 0) as {{ money_type() }}) as mrr_start,
        {{ ratio('starting_totals.mrr_end', 'starting_totals.mrr_start') }} as nrr,
        {{ ratio('starting_totals.mrr_retained', 'starting_totals.mrr_start') }} as grr,
        {{ ratio(
            'starting_totals.customers_start - starting_totals.customers_retained', 'starting_totals.customers_start'
        ) }} as logo_churn_rate,
        {{ ratio('starting_totals.customers_retained', 'starting_totals.customers_start') }}
            as customer_retention_rate,
        {{ ratio('period_movements.gains_mrr', 'period_movements.losses_mrr') }} as quick_ratio
    from periods
    left join starting_totals
        on periods.period_type = starting_totals.period_type
        and periods.period_start = starting_totals.period_start
    left join ending_totals
        on periods.period_type = ending_totals.period_type
        and periods.period_start = ending_totals.period_start
    left join period_movements
        on periods.period_type = period_movements.period_type
        and periods.period_start = period_movements.period_start
)

select * from final

-- Trailing-12-month (cohort) retention (metrics spec §4), from the 13th month of history: the cohort of
-- month M is every customer with MRR(c, M−12) > 0, and
--   nrr_ttm = Σ MRR(c, M) / Σ MRR(c, M−12)
--   grr_ttm = Σ min(MRR(c, M), MRR(c, M−12)) / Σ MRR(c, M−12)
-- fct_mrr has a row for every customer and month from its first active month through the as-of month,
-- so MRR(c, M) of a cohort customer is always there (0 after churn).
with months as (
    select month from {{ ref('int_months') }}
),

customer_months as (
    select * from {{ ref('fct_mrr') }}
),

ttm_months as (
    select
        month,
        {{ add_months('month', -12) }} as cohort_month
    from months
    where month >= {{ add_months('(select min(history.month) from ' ~ ref('int_months') ~ ' as history)', 12) }}
),

cohort_totals as (
    {{ starting_customer_totals('ttm_months', ['month'], 'ttm_months.cohort_month', 'ttm_months.month') }}
),

final as (
    select
        ttm_months.month,
        {{ ratio('cohort_totals.mrr_end', 'cohort_totals.mrr_start') }} as nrr_ttm,
        {{ ratio('cohort_totals.mrr_retained', 'cohort_totals.mrr_start') }} as grr_ttm,
        cast(coalesce(cohort_totals.customers_start, 0) as bigint) as cohort_customers,
        cast(coalesce(cohort_totals.mrr_start, 0) as {{ money_type() }}) as cohort_mrr_start,
        cast(coalesce(cohort_totals.mrr_end, 0) as {{ money_type() }}) as cohort_mrr_now,
        cast(coalesce(cohort_totals.mrr_retained, 0) as {{ money_type() }}) as cohort_mrr_retained,
        {{ is_complete_month('ttm_months.month') }} as is_complete
    from ttm_months
    left join cohort_totals
        on ttm_months.month = cohort_totals.month
)

select * from final

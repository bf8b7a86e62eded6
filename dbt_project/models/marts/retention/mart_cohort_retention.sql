-- Cohort retention (metrics spec §6): the cohort is the month of first activity; for every cohort and
-- every month since its start through the as-of month, how many of its customers are active and how much
-- of its starting MRR remains (reactivated customers count again when active; nobody joins a cohort later).
with customer_months as (
    select * from {{ ref('fct_mrr') }}
),

cohorts as (
    select
        customer_id,
        first_active_month as cohort_month
    from {{ ref('int_customer_lifecycles') }}
),

cohort_months as (
    select
        cohorts.cohort_month,
        {{ months_between('cohorts.cohort_month', 'customer_months.month') }} as months_since_start,
        customer_months.customer_id,
        customer_months.mrr,
        customer_months.is_active
    from customer_months
    inner join cohorts
        on customer_months.customer_id = cohorts.customer_id
),

cohort_totals as (
    select
        cohort_month,
        months_since_start,
        sum(case when is_active then 1 else 0 end) as customers_active,
        sum(mrr) as mrr_now
    from cohort_months
    group by
        cohort_month,
        months_since_start
),

cohort_starts as (
    select
        cohort_month,
        customers_active as customers_start,
        mrr_now as mrr_start
    from cohort_totals
    where months_since_start = 0
),

final as (
    select
        cohort_totals.cohort_month,
        cast(cohort_totals.months_since_start as integer) as months_since_start,
        cast(cohort_starts.customers_start as bigint) as customers_start,
        cast(cohort_totals.customers_active as bigint) as customers_active,
        cast(cohort_starts.mrr_start as {{ money_type() }}) as mrr_start,
        cast(cohort_totals.mrr_now as {{ money_type() }}) as mrr_now,
        {{ ratio('cohort_totals.customers_active', 'cohort_starts.customers_start') }} as logo_retention,
        {{ ratio('cohort_totals.mrr_now', 'cohort_starts.mrr_start') }} as mrr_retention,
        {{ is_complete_month(add_months('cohort_totals.cohort_month', 'cohort_totals.months_since_start')) }} as is_complete
    from cohort_totals
    inner join cohort_starts
        on cohort_totals.cohort_month = cohort_starts.cohort_month
)

select * from final

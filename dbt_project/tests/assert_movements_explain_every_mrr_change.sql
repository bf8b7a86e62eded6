{{ config(meta={"dagster": {"ref": {"name": "fct_mrr_movements"}}}) }}
-- The movements of a month add up to the change in total month-end MRR between fct_mrr's months:
-- Σ delta(M) = Σ mrr(M) − Σ mrr(M−1), every month. Returns the months where they do not.
with monthly_mrr as (
    select
        month,
        sum(mrr) as total_mrr
    from {{ ref('fct_mrr') }}
    group by month
),

monthly_change as (
    select
        month,
        total_mrr - coalesce(lag(total_mrr) over (order by month), 0) as mrr_change
    from monthly_mrr
),

monthly_movements as (
    select
        month,
        sum(delta) as movement_total
    from {{ ref('fct_mrr_movements') }}
    group by month
)

select
    monthly_change.month,
    monthly_change.mrr_change,
    coalesce(monthly_movements.movement_total, 0) as movement_total
from monthly_change
left join monthly_movements
    on monthly_change.month = monthly_movements.month
where monthly_change.mrr_change <> coalesce(monthly_movements.movement_total, 0)

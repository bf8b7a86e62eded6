-- Every row of the adapter's source tables is accounted for (docs/adapters.md §2.8): per source table,
-- rows_in = used + each ignore category + rejected + duplicates_collapsed. Blocking: a row lost between the
-- Stripe (or periods) tables and the derived contract tables fails the build.
with totals as (
    select
        source_table,
        sum(case when category = 'rows_in' then row_count else 0 end) as rows_in,
        sum(case when category <> 'rows_in' then row_count else 0 end) as rows_accounted
    from {{ ref('adapter_reconciliation') }}
    group by source_table
)

select * from totals
where rows_in <> rows_accounted

-- Rejected raw rows by table and kind of reason: how many, their share of the table, and the MRR the
-- rejected subscription events would have carried where it can be known (D-30). The build summary prints
-- it, and the test assert_rejections_are_not_material fails the build when a share passes
-- var max_rejected_share. A reason's quoted values and numbers are masked to give its kind, so that
-- "unknown plan_id 'a'" and "unknown plan_id 'b'" count together.
with rejected as (
    select * from {{ ref('rejected_rows') }}
),

reconciliation as (
    select * from {{ ref('mart_raw_reconciliation') }}
),

event_mrr as (
    select
        'subscription_events' as source_table,
        {{ reason_kind('rejection_reason') }} as reason_kind,
        sum(mrr_carried) as mrr_carried,
        cast(count(mrr_carried) as bigint) as rows_with_known_mrr
    from {{ ref('int_rejected_event_mrr') }}
    group by
        {{ reason_kind('rejection_reason') }}
),

by_kind as (
    select
        source_table,
        {{ reason_kind('reason') }} as reason_kind,
        cast(sum(raw_row_count) as bigint) as rows_rejected,
        min(row_key) as example_row_key,
        min(reason) as example_reason
    from rejected
    group by
        source_table,
        {{ reason_kind('reason') }}
),

final as (
    select
        by_kind.source_table,
        by_kind.reason_kind,
        by_kind.rows_rejected,
        reconciliation.rows_in as table_rows_in,
        reconciliation.rows_rejected as table_rows_rejected,
        {{ ratio('reconciliation.rows_rejected', 'reconciliation.rows_in') }} as table_share_rejected,
        cast(event_mrr.mrr_carried as decimal(38, 6)) as mrr_carried,
        coalesce(event_mrr.rows_with_known_mrr, 0) as rows_with_known_mrr,
        by_kind.example_row_key,
        by_kind.example_reason
    from by_kind
    left join reconciliation
        on by_kind.source_table = reconciliation.source_table
    left join event_mrr
        on by_kind.source_table = event_mrr.source_table
        and by_kind.reason_kind = event_mrr.reason_kind
)

select * from final

-- What became of every distinct row of the selected adapter's source tables (docs/adapters.md §2.8, §3):
-- the Stripe tables' outcomes (int_stripe__row_outcomes) and the periods' (used, or rejected with the
-- reason of stg_periods__subscription_periods). Empty for the contract. rejected_rows lists the rejected
-- ones; adapter_reconciliation counts them.
with stripe_outcomes as (
    select * from {{ ref('int_stripe__row_outcomes') }}
),

periods as (
    select * from {{ ref('stg_periods__subscription_periods') }}
),

final as (
    select
        source_table,
        row_key,
        source_row_count,
        outcome,
        reason
    from stripe_outcomes
    union all
    select
        source_table,
        coalesce(subscription_id, '(no key)') as row_key,
        cast(source_row_count as bigint) as source_row_count,
        case when rejection_reason is not null then 'rejected' else 'used' end as outcome,
        rejection_reason as reason
    from periods
)

select * from final

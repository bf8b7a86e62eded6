-- Rejected rows that matter fail the build instead of passing quietly (D-30): every customer the
-- rejections removed from revenue (mart_customers_lost_to_rejections; var fail_on_rejected_paying_customer),
-- and every raw fact table with more than var max_rejected_share of its rows rejected (counted from
-- var min_rejected_rows_for_share rejected rows on: one bad row of a small table is no pattern). Plans,
-- products and plan limits are not counted by share: a rejected plan matters through the events that use
-- it, which are rejected and counted in subscription_events.
with lost_customers as (
    select
        'subscription_events' as source_table,
        'customer ' || customer_id || ' has no MRR left: ' || cast(rejected_events as {{ text_type() }})
            || ' rejected event(s), e.g. ' || coalesce(example_event_id, '(no key)') || ': ' || example_reason
            as problem
    from {{ ref('mart_customers_lost_to_rejections') }}
    where {{ 'true' if var('fail_on_rejected_paying_customer') else 'false' }}
),

shares as (
    select distinct
        source_table,
        table_rows_rejected,
        table_rows_in,
        table_share_rejected
    from {{ ref('mart_rejection_summary') }}
    where source_table not in ('plans', 'products', 'plan_limits')
),

large_shares as (
    select
        source_table,
        cast(table_rows_rejected as {{ text_type() }}) || ' of ' || cast(table_rows_in as {{ text_type() }})
            || ' rows rejected, more than the allowed share ' || '{{ var("max_rejected_share") }}' as problem
    from shares
    where table_share_rejected > {{ var('max_rejected_share') }}
        and table_rows_rejected >= {{ var('min_rejected_rows_for_share') }}
),

final as (
    select * from lost_customers
    union all
    select * from large_shares
)

select * from final

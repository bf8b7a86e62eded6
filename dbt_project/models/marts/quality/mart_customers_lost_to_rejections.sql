-- Customers the rejections took out of the revenue figures entirely (D-30): a known customer with a
-- rejected subscription event that would have set a price (not a trial, not usage, amount positive or
-- unknown) and no month of MRR in fct_mrr. Removing fx_rates, for example, rejects every event of the
-- customers billed in EUR: each appears here, and assert_rejections_are_not_material fails the build
-- (var fail_on_rejected_paying_customer).
with rejected_events as (
    select * from {{ ref('int_rejected_event_mrr') }}
    where would_set_a_price
        and (mrr_carried is null or mrr_carried > 0)
),

customers as (
    select customer_id from {{ ref('dim_customers') }}
),

paying_customers as (
    select distinct customer_id
    from {{ ref('fct_mrr') }}
    where mrr > 0
),

final as (
    select
        rejected_events.customer_id,
        cast(count(*) as bigint) as rejected_events,
        cast(sum(rejected_events.mrr_carried) as decimal(38, 6)) as mrr_carried,
        min(rejected_events.event_id) as example_event_id,
        min(rejected_events.rejection_reason) as example_reason
    from rejected_events
    inner join customers
        on rejected_events.customer_id = customers.customer_id
    left join paying_customers
        on rejected_events.customer_id = paying_customers.customer_id
    where paying_customers.customer_id is null
    group by
        rejected_events.customer_id
)

select * from final

-- What the adapter could derive but a reader should know (docs/adapters.md §2.8; warnings, they block
-- nothing): an item whose current subscription_item plan or quantity differs from its last invoiced
-- observation (a change not yet invoiced, or data that disagree), and a subscription whose MRR is shown
-- undiscounted because its coupon takes a fixed amount off (amount_off, not converted). Empty for the
-- contract and periods.
with items as (
    select * from {{ ref('int_stripe__items') }}
    where in_catalog and item_rejection_reason is null and item_ignored_as is null
),

undiscounted as (
    select * from {{ ref('int_stripe__discount_windows') }}
    where checked_rejection_reason like 'amount_off coupon not converted%'
),

final as (
    select
        cast('stripe.subscription_item' as {{ text_type() }}) as source_table,
        cast(item_id as {{ text_type() }}) as row_key,
        cast('current state differs from the last invoice' as {{ text_type() }}) as warning,
        cast(
            'subscription_item has plan ' || coalesce(catalog_plan_id, '(blank)') || ' x '
            || coalesce(cast(catalog_quantity as {{ text_type() }}), '(blank)') || ', its last invoice line '
            || last_observed_plan_id || ' x ' || cast(last_observed_quantity as {{ text_type() }})
            || ': the change appears with the invoice that bills it'
            as {{ text_type() }}
        ) as detail
    from items
    where catalog_plan_id is distinct from last_observed_plan_id
        or coalesce(catalog_quantity, 1) <> last_observed_quantity
    union all
    select
        cast('stripe.subscription_discount' as {{ text_type() }}) as source_table,
        cast(id as {{ text_type() }}) as row_key,
        cast('MRR shown undiscounted' as {{ text_type() }}) as warning,
        cast(checked_rejection_reason as {{ text_type() }}) as detail
    from undiscounted
)

select * from final

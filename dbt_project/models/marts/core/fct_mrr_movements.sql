{{ per_customer_incremental_config('marts') }}
-- One row per customer and month in which the customer's month-end MRR changed (delta <> 0), with the
-- movement type (metrics spec §2, macro movement_type; new = in the customer's first active month) and
-- the signed amounts of the mechanisms (§3, var mechanisms), which are filled on expansion and contraction
-- rows (macro is_split_into_mechanisms), sum exactly to delta there, and are 0 on the other rows.
with customer_changes as (
    {{ customer_changes_through_as_of(per_customer_mart=true) }}
),

lifecycles as (
    select
        customer_id,
        first_active_month
    from {{ ref('int_customer_lifecycles') }}
),

classified as (
    select
        customer_changes.*,
        {{ movement_type(
            'customer_changes.mrr_start',
            'customer_changes.mrr_end',
            'customer_changes.month = lifecycles.first_active_month'
        ) }} as movement_type
    from customer_changes
    inner join lifecycles
        on customer_changes.customer_id = lifecycles.customer_id
    where customer_changes.delta <> 0
),

final as (
    select
        month,
        customer_id,
        movement_type,
        mrr_start,
        mrr_end,
        delta,
        {%- for mechanism in mechanisms() %}
        case
            when {{ is_split_into_mechanisms('movement_type') }} then {{ mechanism }}_mrr
            else cast(0 as {{ money_type() }})
        end as {{ mechanism }}_mrr,
        {%- endfor %}
        {{ is_complete_month('month') }} as is_complete
    from classified
)

select * from final

-- Plan limits that passed staging, checked against the usable plans.
with staged_limits as (
    select * from {{ ref('stg_billing__plan_limits') }}
    where rejection_reason is null
),

usable_plans as (
    select plan_id from {{ ref('int_plans_validated') }}
    where rejection_reason is null
),

final as (
    select
        staged_limits.plan_id,
        staged_limits.metric,
        staged_limits.limit_value,
        staged_limits.per_unit_limit,
        case
            when usable_plans.plan_id is null
                then {{ unknown_reference_reason('staged_limits.plan_id') }}
        end as rejection_reason
    from staged_limits
    left join usable_plans
        on staged_limits.plan_id = usable_plans.plan_id
)

select * from final

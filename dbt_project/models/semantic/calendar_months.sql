-- The warehouse's months with their completeness, one row per month: the semantic layer's `calendar_month`
-- entity, so that any metric can keep complete months only (dimension calendar_month__is_complete; the month
-- in progress, and a month whose usage is not yet billed, are not complete; D-44).
with months as (
    select month from {{ ref('int_months') }}
),

final as (
    select
        month as month_start,
        {{ is_complete_month('month') }} as is_complete
    from months
)

select * from final

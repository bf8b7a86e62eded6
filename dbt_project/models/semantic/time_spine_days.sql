-- MetricFlow's time spine (dbt's `time_spine` config; dbt 1.11 requires a daily one): every day of the
-- warehouse's months (int_months: the first month with any item state or usage charge through the as-of
-- month), never a hard-coded date range, so that offsets (the MRR of M−1) and quarters cover exactly the
-- months the marts have.
with months as (
    select
        month,
        next_month
    from {{ ref('int_months') }}
),

day_offsets as (
    {%- for offset in range(31) %}
    select {{ offset }} as day_offset{{ " union all" if not loop.last }}
    {%- endfor %}
),

final as (
    select {{ add_days('months.month', 'day_offsets.day_offset') }} as date_day
    from months
    cross join day_offsets
    where {{ add_days('months.month', 'day_offsets.day_offset') }} < months.next_month
)

select * from final

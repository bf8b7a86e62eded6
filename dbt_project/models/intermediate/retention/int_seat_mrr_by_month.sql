-- Recurring MRR and seats of per_unit plans at each month-end of history (metrics spec §5: ARPU =
-- per-seat MRR of per_unit products / seats). A seat is one unit of quantity of a paying item state
-- (macro is_paying_item_state: trialing, paused, ended and 100 %-discounted items have no paying seats)
-- on a per_unit plan in effect at the month-end. Change points as in int_customer_product_mrr_changes (D-12): each
-- state adds its MRR and seats at its first month-end in effect and removes them at its end month.
with months as (
    select month from {{ ref('int_months') }}
),

paying_seat_states as (
    select * from {{ ref('int_item_mrr') }}
    where pricing_model = 'per_unit'
        and {{ is_paying_item_state() }}
),

contributions as (
    select
        first_month_in_effect as month,
        item_mrr as seat_mrr_change,
        billable_units as seats_change
    from paying_seat_states
    union all
    select
        end_month_exclusive as month,
        -item_mrr as seat_mrr_change,
        -billable_units as seats_change
    from paying_seat_states
    where end_month_exclusive is not null
),

monthly_changes as (
    select
        months.month,
        coalesce(sum(contributions.seat_mrr_change), 0) as seat_mrr_change,
        coalesce(sum(contributions.seats_change), 0) as seats_change
    from months
    left join contributions
        on months.month = contributions.month
    group by months.month
),

-- States that began before the first month of history (none by construction of int_months, kept safe).
opening as (
    select
        coalesce(sum(seat_mrr_change), 0) as seat_mrr_opening,
        coalesce(sum(seats_change), 0) as seats_opening
    from contributions
    where contributions.month < (select min(months.month) from months)
),

final as (
    select
        monthly_changes.month,
        cast(
            opening.seat_mrr_opening + sum(monthly_changes.seat_mrr_change) over history
            as {{ money_type() }}
        ) as per_unit_mrr,
        cast(opening.seats_opening + sum(monthly_changes.seats_change) over history as decimal(38, 6)) as seats
    from monthly_changes
    cross join opening
    window history as (
        order by monthly_changes.month
        rows between unbounded preceding and current row
    )
)

select * from final

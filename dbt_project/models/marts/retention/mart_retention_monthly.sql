-- Monthly retention rates (metrics spec §4–5) from the MRR bridge in total (size_segment = 'all').
-- Rates are exact fractions (macro ratio, decimal(38, 10)), null on a zero denominator; ARPA, ARPU and LTV
-- are money (exact_divide). LTV = ARPA × var gross_margin / the mean of the defined monthly logo churn
-- rates of the trailing 12 months (M−11..M), computed in one exact division as
-- mrr_end × n × gross_margin / (Σ rates × customers_end), so ARPA is not rounded before it is used
-- (factors in this order: every engine keeps the decimals, see D-27).
with bridge as (
    {{ mrr_bridge_total() }}
),

seat_mrr as (
    select
        month,
        per_unit_mrr,
        seats
    from {{ ref('int_seat_mrr_by_month') }}
),

rates as (
    select
        bridge.month,
        bridge.mrr_start,
        bridge.mrr_end,
        bridge.customers_start,
        bridge.customers_end,
        {{ ratio(
            'bridge.mrr_start + bridge.expansion_mrr - bridge.contraction_mrr - bridge.churn_mrr',
            'bridge.mrr_start'
        ) }} as nrr,
        {{ ratio('bridge.mrr_start - bridge.contraction_mrr - bridge.churn_mrr', 'bridge.mrr_start') }} as grr,
        {{ ratio('bridge.customers_churned', 'bridge.customers_start') }} as logo_churn_rate,
        {{ ratio('bridge.contraction_mrr + bridge.churn_mrr', 'bridge.mrr_start') }} as gross_mrr_churn_rate,
        {{ ratio(
            'bridge.contraction_mrr + bridge.churn_mrr - bridge.expansion_mrr - bridge.reactivation_mrr',
            'bridge.mrr_start'
        ) }} as net_mrr_churn_rate,
        {{ ratio(
            'bridge.new_mrr + bridge.reactivation_mrr + bridge.expansion_mrr',
            'bridge.contraction_mrr + bridge.churn_mrr'
        ) }} as quick_ratio,
        cast(case
            when bridge.customers_end > 0 then {{ exact_divide('bridge.mrr_end', 'bridge.customers_end') }}
        end as {{ money_type() }}) as arpa,
        cast(case
            when seat_mrr.seats > 0 then {{ exact_divide('seat_mrr.per_unit_mrr', 'seat_mrr.seats') }}
        end as {{ money_type() }}) as arpu,
        {{ ratio(
            'bridge.customers_end - bridge.customers_new - bridge.customers_reactivated',
            'bridge.customers_start'
        ) }} as customer_retention_rate
    from bridge
    left join seat_mrr
        on bridge.month = seat_mrr.month
),

trailing_churn as (
    select
        *,
        -- Σ and count of the defined monthly logo churn rates over M−11..M (months with no customers at
        -- the start have no rate and are left out of the mean).
        sum(logo_churn_rate) over trailing_12_months as churn_rate_sum,
        count(logo_churn_rate) over trailing_12_months as churn_rate_months
    from rates
    window trailing_12_months as (
        order by month
        rows between 11 preceding and current row
    )
),

final as (
    select
        month,
        nrr,
        grr,
        logo_churn_rate,
        gross_mrr_churn_rate,
        net_mrr_churn_rate,
        quick_ratio,
        arpa,
        arpu,
        cast(case
            when churn_rate_sum > 0 and customers_end > 0 then {{ exact_divide(
                'mrr_end * churn_rate_months * 10000 * cast(' ~ var('gross_margin') ~ ' as decimal(18, 10))',
                'churn_rate_sum * 10000 * customers_end'
            ) }}
        end as {{ money_type() }}) as ltv,
        customer_retention_rate,
        {{ is_complete_month('month') }} as is_complete
    from trailing_churn
)

select * from final

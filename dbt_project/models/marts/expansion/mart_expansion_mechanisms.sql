-- Expansion and contraction by mechanism (metrics spec §3, §5), month × mechanism, every month of history
-- and every mechanism of var mechanisms (zeros included, so BI tools can stack them). Amounts come from
-- the signed mechanism columns of fct_mrr_movements, which are filled on expansion and contraction rows:
--   expansion_mrr = Σ positive amounts, contraction_mrr = Σ −negative amounts, net_mrr = Σ amounts
--   customers = customers with a non-zero amount
--   conversion_rate_pct = customers / customers active at the end of M−1 × 100
--   nrr_contribution = net_mrr / MRR(M−1), so that NRR = 1 + Σ contributions − churn / MRR(M−1)
with movements as (
    select * from {{ ref('fct_mrr_movements') }}
    where {{ is_split_into_mechanisms('movement_type') }}
),

bridge as (
    {{ mrr_bridge_total() }}
),

mechanism_amounts as (
    {%- for mechanism in mechanisms() %}
    select
        month,
        customer_id,
        '{{ mechanism }}' as mechanism,
        {{ mechanism }}_mrr as amount
    from movements
    where {{ mechanism }}_mrr <> 0
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}
),

mechanisms as (
    {{ listed_values('mechanism', mechanisms()) }}
),

monthly_amounts as (
    select
        month,
        mechanism,
        sum(case when amount > 0 then amount else 0 end) as expansion_mrr,
        sum(case when amount < 0 then -amount else 0 end) as contraction_mrr,
        sum(amount) as net_mrr,
        count(distinct customer_id) as customers
    from mechanism_amounts
    group by
        month,
        mechanism
),

grid as (
    {{ zero_filled_grid(
        'bridge', 'mechanisms', 'mechanism', 'monthly_amounts',
        ['expansion_mrr', 'contraction_mrr', 'net_mrr', 'customers'],
        month_columns=['mrr_start', 'customers_start']
    ) }}
),

final as (
    select
        month,
        mechanism,
        cast(expansion_mrr as {{ money_type() }}) as expansion_mrr,
        cast(contraction_mrr as {{ money_type() }}) as contraction_mrr,
        cast(net_mrr as {{ money_type() }}) as net_mrr,
        cast(customers as bigint) as customers,
        {{ ratio('100 * customers', 'customers_start') }} as conversion_rate_pct,
        {{ ratio('net_mrr', 'mrr_start') }} as nrr_contribution,
        {{ is_complete_month('month') }} as is_complete
    from grid
)

select * from final

-- The MRR bridge by month, per size segment and in total (size_segment = 'all'):
--   mrr_start + new + reactivation + expansion - contraction - churn = mrr_end
--   customers_start + new + reactivated - churned = customers_end
-- Levels are running sums of the movements since the start of history; a data test checks them
-- against fct_mrr. With var reactivation_counts_as_expansion, reactivated MRR is reported in
-- expansion_mrr (and reactivation_mrr is 0); the customers still count as reactivated.
{%- set reactivation_is_expansion = var('reactivation_counts_as_expansion') | string | lower in ['true', '1', 'yes'] %}
with movements as (
    select
        fct_mrr_movements.*,
        dim_customers.size_segment
    from {{ ref('fct_mrr_movements') }} as fct_mrr_movements
    inner join {{ ref('dim_customers') }} as dim_customers
        on fct_mrr_movements.customer_id = dim_customers.customer_id
),

months as (
    select month from {{ ref('int_months') }}
),

segments as (
    {{ listed_values('size_segment', ['all'] + size_segments()) }}
),

movements_by_segment as (
    select
        month,
        size_segment,
        movement_type,
        customer_id,
        delta
    from movements
    union all
    select
        month,
        'all' as size_segment,
        movement_type,
        customer_id,
        delta
    from movements
),

monthly_movements as (
    select
        month,
        size_segment,
        sum(case when movement_type = 'new' then delta else 0 end) as new_mrr,
        sum(case when movement_type = 'reactivation' then delta else 0 end) as reactivation_mrr,
        sum(case when movement_type = 'expansion' then delta else 0 end) as expansion_mrr,
        sum(case when movement_type = 'contraction' then -delta else 0 end) as contraction_mrr,
        sum(case when movement_type = 'churn' then -delta else 0 end) as churn_mrr,
        sum(delta) as net_mrr_change,
        sum(case when movement_type = 'new' then 1 else 0 end) as customers_new,
        sum(case when movement_type = 'reactivation' then 1 else 0 end) as customers_reactivated,
        sum(case when movement_type = 'churn' then 1 else 0 end) as customers_churned
    from movements_by_segment
    group by
        month,
        size_segment
),

grid as (
    {{ zero_filled_grid('months', 'segments', 'size_segment', 'monthly_movements', [
        'new_mrr', 'reactivation_mrr', 'expansion_mrr', 'contraction_mrr', 'churn_mrr', 'net_mrr_change',
        'customers_new', 'customers_reactivated', 'customers_churned'
    ]) }}
),

with_levels as (
    select
        *,
        sum(net_mrr_change) over segment_history as mrr_end,
        sum(customers_new + customers_reactivated - customers_churned) over segment_history as customers_end
    from grid
    window segment_history as (
        partition by size_segment
        order by month
        rows between unbounded preceding and current row
    )
),

final as (
    select
        month,
        size_segment,
        cast(mrr_end - net_mrr_change as {{ money_type() }}) as mrr_start,
        cast(new_mrr as {{ money_type() }}) as new_mrr,
        {%- if reactivation_is_expansion %}
        cast(0 as {{ money_type() }}) as reactivation_mrr,
        cast(expansion_mrr + reactivation_mrr as {{ money_type() }}) as expansion_mrr,
        {%- else %}
        cast(reactivation_mrr as {{ money_type() }}) as reactivation_mrr,
        cast(expansion_mrr as {{ money_type() }}) as expansion_mrr,
        {%- endif %}
        cast(contraction_mrr as {{ money_type() }}) as contraction_mrr,
        cast(churn_mrr as {{ money_type() }}) as churn_mrr,
        cast(mrr_end as {{ money_type() }}) as mrr_end,
        cast(customers_end - customers_new - customers_reactivated + customers_churned as bigint) as customers_start,
        cast(customers_new as bigint) as customers_new,
        cast(customers_reactivated as bigint) as customers_reactivated,
        cast(customers_churned as bigint) as customers_churned,
        cast(customers_end as bigint) as customers_end,
        {{ is_complete_month('month') }} as is_complete
    from with_levels
)

select * from final

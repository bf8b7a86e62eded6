{#- Generic data tests named for the rule they guard. Each returns the rows that break the rule. -#}

{% test unique_combination(model, columns) %}
select
    {{ columns | join(', ') }},
    count(*) as row_count
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}


{% test non_negative(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} < 0
{% endtest %}


{#- fct_mrr: one row for every month from a customer's first active month through the as-of month. -#}
{% test no_gaps_in_customer_months(model) %}
with spans as (
    select
        customer_id,
        min(month) as first_month,
        max(month) as last_month,
        count(*) as month_rows
    from {{ model }}
    group by customer_id
)
select spans.*
from spans
where month_rows <> {{ months_between('first_month', 'last_month') }} + 1
    or last_month <> (select max(month) from {{ ref('int_months') }})
{% endtest %}


{#- Mechanisms sum exactly to delta on expansion and contraction rows, and are 0 elsewhere. -#}
{% test mechanisms_sum_to_delta(model) %}
select *
from {{ model }}
where (
        {{ is_split_into_mechanisms('movement_type') }}
        and {% for mechanism in mechanisms() %}{{ mechanism }}_mrr{{ ' + ' if not loop.last }}{% endfor %} <> delta
    )
    or (
        not {{ is_split_into_mechanisms('movement_type') }}
        and ({% for mechanism in mechanisms() %}{{ mechanism }}_mrr <> 0{{ ' or ' if not loop.last }}{% endfor %})
    )
{% endtest %}


{#- Per customer-month: mrr_start + delta = mrr_end, delta <> 0, and the type fits the two levels. -#}
{% test movement_identity(model) %}
select *
from {{ model }}
where mrr_start + delta <> mrr_end
    or delta = 0
    or (movement_type in ('new', 'reactivation') and not (mrr_start = 0 and mrr_end > 0))
    or (movement_type = 'churn' and not (mrr_start > 0 and mrr_end = 0))
    or (movement_type = 'expansion' and not (mrr_end > mrr_start and mrr_start > 0))
    or (movement_type = 'contraction' and not (mrr_end < mrr_start and mrr_end > 0))
{% endtest %}


{#- No movement before a customer's first active month (int_customer_lifecycles); exactly one `new`, in
    that month. -#}
{% test no_movement_before_first_active_month(model) %}
with first_months as (
    select
        customer_id,
        first_active_month
    from {{ ref('int_customer_lifecycles') }}
),

new_counts as (
    select
        customer_id,
        sum(case when movement_type = 'new' then 1 else 0 end) as new_movements,
        min(case when movement_type = 'new' then month end) as new_month,
        min(month) as first_movement_month
    from {{ model }}
    group by customer_id
)

select
    new_counts.*,
    first_months.first_active_month
from new_counts
left join first_months
    on new_counts.customer_id = first_months.customer_id
where first_months.first_active_month is null
    or new_counts.new_movements <> 1
    or new_counts.new_month <> first_months.first_active_month
    or new_counts.first_movement_month < first_months.first_active_month
{% endtest %}


{#- The bridge identity, to the cent (exactly, since money is decimal), for MRR and customer counts;
    and each month starts where the previous one ended. -#}
{% test bridge_identity(model) %}
with checked as (
    select
        *,
        lag(mrr_end) over (partition by size_segment order by month) as previous_mrr_end,
        lag(customers_end) over (partition by size_segment order by month) as previous_customers_end
    from {{ model }}
)
select *
from checked
where mrr_start + new_mrr + reactivation_mrr + expansion_mrr - contraction_mrr - churn_mrr <> mrr_end
    or customers_start + customers_new + customers_reactivated - customers_churned <> customers_end
    or mrr_start <> coalesce(previous_mrr_end, 0)
    or customers_start <> coalesce(previous_customers_end, 0)
{% endtest %}


{#- The bridge's levels (running sums of movements) equal the month-end MRR and active customers of
    fct_mrr, month by month, in total. -#}
{% test bridge_matches_fct_mrr(model) %}
with from_fct_mrr as (
    select
        month,
        sum(mrr) as mrr_end,
        sum(case when is_active then 1 else 0 end) as customers_end
    from {{ ref('fct_mrr') }}
    group by month
),

bridge as (
    select * from {{ model }}
    where size_segment = 'all'
)

select
    bridge.month,
    bridge.mrr_end as bridge_mrr_end,
    from_fct_mrr.mrr_end as fct_mrr_end,
    bridge.customers_end as bridge_customers_end,
    from_fct_mrr.customers_end as fct_customers_end
from bridge
left join from_fct_mrr
    on bridge.month = from_fct_mrr.month
where bridge.mrr_end <> coalesce(from_fct_mrr.mrr_end, 0)
    or bridge.customers_end <> coalesce(from_fct_mrr.customers_end, 0)
{% endtest %}


{#- The size segments add up to the 'all' row in every column. -#}
{% test segments_add_up_to_all(model) %}
{%- set measures = ['mrr_start', 'new_mrr', 'reactivation_mrr', 'expansion_mrr', 'contraction_mrr', 'churn_mrr',
    'mrr_end', 'customers_start', 'customers_new', 'customers_reactivated', 'customers_churned', 'customers_end'] -%}
with segment_totals as (
    select
        month,
        {%- for measure in measures %}
        sum({{ measure }}) as {{ measure }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
    where size_segment <> 'all'
    group by month
)
select segment_totals.month
from segment_totals
inner join {{ model }} as total
    on segment_totals.month = total.month
    and total.size_segment = 'all'
where {% for measure in measures %}segment_totals.{{ measure }} <> total.{{ measure }}{{ ' or ' if not loop.last }}{% endfor %}
{% endtest %}


{#- Values that are no size segment (macro size_segments, the one declaration) nor one of also_accepted. -#}
{% test is_size_segment(model, column_name, also_accepted=[]) %}
select
    {{ column_name }},
    count(*) as row_count
from {{ model }}
where {{ column_name }} not in (
    {%- for segment in also_accepted + size_segments() %}'{{ segment }}'{{ ', ' if not loop.last }}{% endfor -%}
)
group by {{ column_name }}
{% endtest %}


{#- Every raw table balances: rows in = rows used + rows rejected + duplicates collapsed. -#}
{% test reconciliation_balances(model) %}
select *
from {{ model }}
where rows_in <> rows_used + rows_rejected + duplicates_collapsed
{% endtest %}


{#- The health score weights (seed health_score_weights) fit the score: every component of
    health_score_components has a weight, no other component is listed, every weight is between 0 and 1,
    and the weights sum to exactly 1. One row per problem, saying what is wrong. -#}
{% test health_score_weights_are_complete(model) %}
with weights as (
    select
        cast(component as {{ text_type() }}) as component,
        weight
    from {{ model }}
),

expected as (
    {{ listed_values('component', health_score_components()) }}
),

problems as (
    select
        weights.component,
        'unknown component (expected one of {{ health_score_components() | join(", ") }})' as problem
    from weights
    left join expected
        on weights.component = expected.component
    where expected.component is null
    union all
    select
        expected.component,
        'missing component: every component needs a weight' as problem
    from expected
    left join weights
        on expected.component = weights.component
    where weights.weight is null
    union all
    select
        component,
        'weight outside 0-1' as problem
    from weights
    where weight < 0 or weight > 1
    union all
    select
        'all components' as component,
        'the weights sum to ' || coalesce(cast(total_weight as {{ text_type() }}), 'nothing') || ', not 1' as problem
    from (select sum(weight) as total_weight from weights) as totals
    where total_weight <> 1 or total_weight is null
)

select * from problems
{% endtest %}

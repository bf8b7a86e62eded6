{#- Business rules shared by several models: one macro each, so every model applies the same rule. -#}

{#- The order of an item's events (raw contract): occurred_at, ties broken by recorded_at then event_id. -#}
{% macro event_order() -%}
    occurred_at, recorded_at nulls first, event_id
{%- endmacro %}


{#- Normalising a price per billing interval to a month (metrics spec §1): the factor as an exact
    fraction numerator / denominator, so that the division happens once, in exact_divide. -#}
{% macro month_factor_numerator(billing_interval) -%}
    case {{ billing_interval }} when 'week' then 52 when 'day' then 365 else 1 end
{%- endmacro %}
{% macro month_factor_denominator(billing_interval, billing_interval_count) -%}
    (case {{ billing_interval }} when 'month' then 1 else 12 end) * {{ billing_interval_count }}
{%- endmacro %}


{#- A recurring price in a month (metrics spec §1): unit_price x units x (1 - discount/100), normalised from
    its billing interval to a month, in the price's currency, divided once (exact_divide). -#}
{% macro monthly_amount(unit_price, units, discount_percent, billing_interval, billing_interval_count) -%}
    {{ exact_divide(
        'cast(' ~ unit_price ~ ' as ' ~ money_type() ~ ') * ' ~ units ~ ' * (100 - ' ~ discount_percent ~ ')'
            ~ ' * ' ~ month_factor_numerator(billing_interval),
        '100 * ' ~ month_factor_denominator(billing_interval, billing_interval_count)
    ) }}
{%- endmacro %}


{#- Size segments by employee_count (metrics spec §6): each with the count it stays below (none: no bound),
    in order; a customer without a count is 'unknown'. The one place the segments and boundaries live. -#}
{% macro size_segment_bounds() -%}
    {{ return([
        {'segment': 'smb', 'below': 100},
        {'segment': 'mid_market', 'below': 1000},
        {'segment': 'enterprise', 'below': none}
    ]) }}
{%- endmacro %}

{% macro size_segments() -%}
    {{ return(size_segment_bounds() | map(attribute='segment') | list + ['unknown']) }}
{%- endmacro %}

{% macro size_segment(employee_count) -%}
    case
        when {{ employee_count }} is null then 'unknown'
        {%- for bound in size_segment_bounds() %}
        {%- if bound.below is none %}
        else '{{ bound.segment }}'
        {%- else %}
        when {{ employee_count }} < {{ bound.below }} then '{{ bound.segment }}'
        {%- endif %}
        {%- endfor %}
    end
{%- endmacro %}


{#- The expansion mechanisms (metrics spec §3) in reporting order: var mechanisms, declared once in
    dbt_project.yml. Each mechanism's rule is in product_mechanism_amounts (below). -#}
{% macro mechanisms() -%}
    {{ return(var('mechanisms')) }}
{%- endmacro %}


{#- One customer × product × month's change split into the mechanisms (metrics spec §3): a SELECT over
    `product_changes` (rows of int_customer_product_mrr_changes) giving customer_id, product_id, month, the
    product's delta and one signed <mechanism>_mrr column per mechanism of var mechanisms. Per product
    u = recurring MRR / units and q = units; the tier is the quantity-weighted tier_rank:
      cross_sell / product_churn: a core product gained / lost (its whole recurring MRR)
      add_on: an add-on product gained (+) or lost (-)
      seat: a product held in both months: (q1 - q0) x u0
      upsell / downgrade / price: the rest of a held product's recurring change, q1 x (u1 - u0), by whether
        its quantity-weighted tier went up, down or stayed
      usage: the change in the product's usage MRR
    The one place these rules live: int_customer_mrr_changes sums them per customer, and
    int_product_expansions reads them per product. -#}
{% macro product_mechanism_amounts(product_changes) -%}
    select
        customer_id,
        product_id,
        month,
        delta,
        case when product_type = 'core' and is_gained then recurring_delta else 0 end as cross_sell_mrr,
        case when product_type = 'core' and is_lost then recurring_delta else 0 end as product_churn_mrr,
        case when product_type = 'add_on' and (is_gained or is_lost) then recurring_delta else 0 end as add_on_mrr,
        seat_delta as seat_mrr,
        case when is_held_both_months and tier_direction > 0 then recurring_delta - seat_delta else 0 end as upsell_mrr,
        case when is_held_both_months and tier_direction < 0 then recurring_delta - seat_delta else 0 end as downgrade_mrr,
        case when is_held_both_months and tier_direction = 0 then recurring_delta - seat_delta else 0 end as price_mrr,
        usage_delta as usage_mrr
    from (
        select
            *,
            recurring_mrr_end + usage_mrr_end - recurring_mrr_start - usage_mrr_start as delta,
            recurring_mrr_end - recurring_mrr_start as recurring_delta,
            usage_mrr_end - usage_mrr_start as usage_delta,
            recurring_mrr_start = 0 and recurring_mrr_end > 0 as is_gained,
            recurring_mrr_start > 0 and recurring_mrr_end = 0 as is_lost,
            recurring_mrr_start > 0 and recurring_mrr_end > 0 as is_held_both_months,
            case
                when recurring_mrr_start > 0 and recurring_mrr_end > 0
                    then {{ exact_divide('(units_end - units_start) * recurring_mrr_start', 'units_start') }}
                else 0
            end as seat_delta,
            sign(tier_weight_end * units_start - tier_weight_start * units_end) as tier_direction
        from {{ product_changes }}
    ) as product_mechanisms
{%- endmacro %}


{#- Expansion intelligence (docs/expansion_intelligence.md): the expansion triggers, in the order in which
    the limit triggers take precedence (at most one limit trigger per customer × product: the first that
    applies), single_product last (independent of them). -#}
{% macro expansion_triggers() -%}
    {{ return(['limit_reached', 'limit_approaching', 'limit_projected_90d', 'single_product']) }}
{%- endmacro %}


{#- The components of the customer health score, each 0-100, as named in the seed health_score_weights
    (component, weight) and published as <component>_score in mart_customer_health. -#}
{% macro health_score_components() -%}
    {{ return(['usage_trend', 'utilization', 'mrr_trend', 'tenure', 'breadth']) }}
{%- endmacro %}


{#- The health band of a health score (0-100): at_risk below 40, neutral below 70, healthy from 70. -#}
{% macro health_band(health_score) -%}
    case
        when {{ health_score }} < 40 then 'at_risk'
        when {{ health_score }} < 70 then 'neutral'
        else 'healthy'
    end
{%- endmacro %}


{#- The rows of a checked model (staging, intermediate/billing) that no check rejected: rejection_reason is
    null. With build_scope_only, only the rows of the customers this build recomputes (in_build_scope), as a
    per-customer model reads its inputs. -#}
{% macro accepted_rows(relation, build_scope_only=false) -%}
    select * from {{ relation }}
    where rejection_reason is null
    {%- if build_scope_only %}
        and {{ in_build_scope('customer_id') }}
    {%- endif %}
{%- endmacro %}


{#- The customer-months of int_customer_mrr_changes that the marts read: those through the as-of month (the
    later change points are known future changes); for a per-customer mart (per_customer_mart), only the
    customers its build recomputes (in_build_scope, scope 'marts'). -#}
{% macro customer_changes_through_as_of(per_customer_mart=false) -%}
    select * from {{ ref('int_customer_mrr_changes') }}
    where month <= {{ as_of_month() }}
    {%- if per_customer_mart %}
        and {{ in_build_scope('customer_id', 'marts') }}
    {%- endif %}
{%- endmacro %}


{#- The company-wide rows of the MRR bridge (size_segment 'all', every segment together), one per month:
    what the monthly retention and expansion marts start from. -#}
{% macro mrr_bridge_total() -%}
    select * from {{ ref('mart_mrr_bridge') }}
    where size_segment = 'all'
{%- endmacro %}


{#- The movement type of a customer-month whose MRR changed (metrics spec §2), tested in this order. -#}
{% macro movement_type(mrr_start, mrr_end, is_first_active_month) -%}
    case
        when {{ mrr_start }} = 0 and {{ is_first_active_month }} then 'new'
        when {{ mrr_start }} = 0 then 'reactivation'
        when {{ mrr_end }} = 0 then 'churn'
        when {{ mrr_end }} > {{ mrr_start }} then 'expansion'
        else 'contraction'
    end
{%- endmacro %}


{#- The movements whose change is split into mechanisms (metrics spec §3); the others carry 0 amounts. -#}
{% macro is_split_into_mechanisms(movement_type) -%}
    ({{ movement_type }} in ('expansion', 'contraction'))
{%- endmacro %}


{#- A row of int_item_mrr that makes its customer a paying customer (the "paying state in effect"): MRR > 0
    (not trialing, paused, ended, on a usage plan or 100 % discounted) and in effect at one month-end at
    least (a state that begins and ends within a month never shows at a month-end). -#}
{% macro is_paying_item_state() -%}
    (item_mrr > 0 and (end_month_exclusive is null or end_month_exclusive > first_month_in_effect))
{%- endmacro %}


{#- The exchange rate that applies on a day (DECISIONS.md D-06): the range of int_fx_rate_ranges, joined as
    `left join int_fx_rate_ranges as fx_rate_ranges on {{ fx_rate_applies(currency, day) }}`. -#}
{#- The whole join clause, `from x {{ fx_rate_join('x.currency', 'x.day') }}`, after which
    fx_rate_ranges.currency and fx_rate_ranges.rate_to_reporting hold the rate that applies (null when
    none). The range join runs on the distinct (currency, day) pairs only (a few thousand) and the result
    is joined back on equality: a range join of every row with every rate of its currency (about 1,000
    a year) dominated the build at a million customers. -#}
{% macro fx_rate_join(currency_expression, day_expression, ranges='fx_rate_ranges') -%}
    {%- set left_relation = currency_expression.split('.')[0] -%}
    left join (
        select
            distinct_days.day_currency,
            distinct_days.rate_day,
            {{ ranges }}.currency,
            {{ ranges }}.rate_to_reporting
        from (
            select distinct
                {{ currency_expression }} as day_currency,
                {{ day_expression }} as rate_day
            from {{ left_relation }}
        ) as distinct_days
        inner join {{ ranges }}
            on {{ fx_rate_applies('distinct_days.day_currency', 'distinct_days.rate_day', ranges) }}
    ) as {{ ranges }}
        on {{ currency_expression }} = {{ ranges }}.day_currency
        and {{ day_expression }} = {{ ranges }}.rate_day
{%- endmacro %}


{% macro fx_rate_applies(currency_expression, day_expression, ranges='fx_rate_ranges') -%}
    {{ ranges }}.currency = {{ currency_expression }}
        and {{ day_expression }} >= {{ ranges }}.valid_from_date
        and ({{ day_expression }} < {{ ranges }}.valid_until_date or {{ ranges }}.valid_until_date is null)
{%- endmacro %}


{#- The reasons the intermediate checks reject a row with (D-30 wording; mart_rejection_summary groups them
    by reason_kind): a key that names no usable row of its table, and a currency without a rate. -#}
{% macro unknown_reference_reason(key_expression) -%}
    'unknown {{ key_expression.split('.')[-1] }} ' || {{ quoted_excerpt(key_expression) }}
{%- endmacro %}

{% macro no_exchange_rate_reason(currency_expression, day_expression) -%}
    'no exchange rate for ' || {{ quoted_excerpt(currency_expression) }}
        || ' on or before ' || cast({{ day_expression }} as {{ text_type() }})
{%- endmacro %}

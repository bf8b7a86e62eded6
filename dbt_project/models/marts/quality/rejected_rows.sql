-- Every raw row the warehouse could not use, with its table, key and a reason a person understands.
-- Exact copies of a row are collapsed before (see source_row_count in staging), so a rejected row
-- that was delivered twice appears once, with raw_row_count 2.
{%- set staged = [
    ('customers', 'stg_billing__customers', "customer_id"),
    ('products', 'stg_billing__products', "product_id"),
    ('plans', 'stg_billing__plans', "plan_id"),
    ('plan_limits', 'stg_billing__plan_limits', "plan_id || ' / ' || metric"),
    ('subscription_events', 'stg_billing__subscription_events', "event_id"),
    ('usage_charges', 'stg_billing__usage_charges', "charge_id"),
    ('one_time_charges', 'stg_billing__one_time_charges', "charge_id"),
    ('fx_rates', 'stg_billing__fx_rates', "cast(rate_date as " ~ text_type() ~ ") || ' / ' || currency"),
    ('usage_snapshots', 'stg_billing__usage_snapshots',
        "customer_id || ' / ' || product_id || ' / ' || cast(snapshot_date as " ~ text_type() ~ ") || ' / ' || metric"),
] %}
with rejected as (
    {%- for table_name, model_name, key_expression in staged %}
    select
        '{{ table_name }}' as source_table,
        coalesce({{ key_expression }}, '(no key; row ' || row_hash || ')') as row_key,
        rejection_reason as reason,
        source_row_count as raw_row_count
    from {{ ref(model_name) }}
    where rejection_reason is not null
    union all
    {%- endfor %}
    select
        'subscription_events' as source_table,
        event_id as row_key,
        rejection_reason as reason,
        1 as raw_row_count
    from {{ ref('int_subscription_events_validated') }}
    where rejection_reason is not null
    union all
    select
        'usage_charges' as source_table,
        charge_id as row_key,
        rejection_reason as reason,
        1 as raw_row_count
    from {{ ref('int_usage_charges_validated') }}
    where rejection_reason is not null
    union all
    select
        'plans' as source_table,
        plan_id as row_key,
        rejection_reason as reason,
        1 as raw_row_count
    from {{ ref('int_plans_validated') }}
    where rejection_reason is not null
    union all
    select
        'plan_limits' as source_table,
        plan_id || ' / ' || metric as row_key,
        rejection_reason as reason,
        1 as raw_row_count
    from {{ ref('int_plan_limits_validated') }}
    where rejection_reason is not null
    union all
    select
        'usage_snapshots' as source_table,
        customer_id || ' / ' || product_id || ' / ' || cast(snapshot_date as {{ text_type() }}) || ' / ' || metric as row_key,
        rejection_reason as reason,
        1 as raw_row_count
    from {{ ref('int_usage_snapshots_validated') }}
    where rejection_reason is not null
    union all
    select
        'one_time_charges' as source_table,
        charge_id as row_key,
        rejection_reason as reason,
        1 as raw_row_count
    from {{ ref('int_one_time_charges_validated') }}
    where rejection_reason is not null
),

final as (
    select
        source_table,
        row_key,
        reason,
        cast(raw_row_count as bigint) as raw_row_count,
        cast({{ as_of_date() }} as timestamp) as loaded_at
    from rejected
)

select * from final

-- The customers an incremental build recomputes: every customer with a row in a newly landed file of a
-- customer-keyed table, every customer whose earlier rows share a key with a new row (an event_id or
-- item_id of subscription_events, a charge_id: so a correction or a clash is judged with all its rows),
-- and, when exchange rates land, every customer with an event or charge on or after the first new rate
-- date (whose rate may change). Rows without a customer are recomputed on every build. Empty when the
-- build recomputes every customer anyway (landing_build_scope.rebuild_reason).
{#- dependencies that the branches below only use when executing -#}
{%- set build_scope = ref('landing_build_scope') %}
{%- for table_name in customer_keyed_raw_tables() %}{% set raw_source = source('billing', table_name) %}{% endfor %}
{%- set key_columns = {
    'subscription_events': ['event_id', 'item_id'],
    'usage_charges': ['charge_id'],
    'one_time_charges': ['charge_id'],
} %}
{%- set fx_date_columns = {
    'subscription_events': 'cast(occurred_at as date)',
    'usage_charges': 'period_start',
    'one_time_charges': 'cast(charged_at as date)',
} %}
{%- set selects = [] %}
{%- set rebuilds_everything = execute and run_query(
    'select count(*) from ' ~ build_scope ~ ' where rebuild_reason is not null'
).columns[0].values()[0] > 0 %}
{%- set fx_rates_landed = not rebuilds_everything and new_landing_files('fx_rates') | length > 0 %}
{%- for table_name in customer_keyed_raw_tables() if not rebuilds_everything %}
    {%- set new_files = new_landing_files(table_name) %}
    {%- set previous_staging = previous_build_relation('staging', 'stg_billing__' ~ table_name) %}
    {%- if new_files | length > 0 %}
        {%- set new_rows = read_raw(table_name, new_files) %}
        {%- do selects.append(
            "select nullif(trim(customer_id), '') as customer_id from " ~ new_rows ~ " as new_rows"
        ) %}
        {%- if previous_staging is not none %}
            {%- for key_column in key_columns.get(table_name, []) %}
                {%- do selects.append(
                    "select previous_rows.customer_id from " ~ previous_staging ~ " as previous_rows where previous_rows."
                    ~ key_column ~ " in (select nullif(trim(" ~ key_column ~ "), '') from " ~ new_rows ~ " as new_rows)"
                ) %}
            {%- endfor %}
        {%- endif %}
    {%- endif %}
    {%- if fx_rates_landed and previous_staging is not none and table_name in fx_date_columns %}
        {%- do selects.append(
            "select previous_rows.customer_id from " ~ previous_staging ~ " as previous_rows where "
            ~ fx_date_columns[table_name] ~ " >= (select build_scope.new_fx_rates_from from "
            ~ build_scope ~ " as build_scope)"
        ) %}
    {%- endif %}
{%- endfor %}

with changed as (
    {%- if selects | length > 0 %}
    {{ selects | join('\n    union all\n    ') }}
    {%- else %}
    select cast(null as {{ text_type() }}) as customer_id where 1 = 0
    {%- endif %}
),

final as (
    select distinct customer_id
    from changed
    where customer_id is not null
)

select * from final

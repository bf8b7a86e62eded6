-- The customers an incremental build recomputes (D-25); empty when build_scope recomputes every customer.
-- For each table whose rows belong to a customer (meta new_rows_recompute: their_customers): the customers
-- of its newly landed rows, and the customers whose earlier rows share an id with a new row (meta
-- unique_across_customers: event_id, item_id, charge_id; so a correction or a clash is judged with all
-- its rows). When exchange rates land (new_rows_recompute: customers_converted_at_new_rates), the
-- customers with an amount dated on or after the earliest new rate (meta exchange_rate_day), whose rate
-- may change. Rows without a customer are recomputed on every build (in_build_scope).
-- The new files are named at compile time (new_files_to_scan): DuckDB's file readers take a constant
-- list. Earlier rows are read from the previous build's staging tables, still in this warehouse file.
{%- set files_to_scan = new_files_to_scan() %}
{%- set tables = raw_tables_by_recompute_rule() %}
{%- set rate_files = {} %}
{%- for rates_table in tables['customers_converted_at_new_rates'] if files_to_scan.get(rates_table) %}
    {%- do rate_files.update({rates_table: files_to_scan[rates_table]}) %}
{%- endfor %}
with
{%- if rate_files %}
new_rates as (
    select min(new_rate_days.rate_day) as first_rate_day
    from (
        {%- for rates_table, new_files in rate_files.items() %}
        {%- if not loop.first %}
        union all
        {%- endif %}
        select {{ parse_date(raw_table_definition(rates_table).meta['exchange_rate_day']) }} as rate_day
        from {{ read_raw(rates_table, new_files) }} as new_rates
        {%- endfor %}
    ) as new_rate_days
),
{%- endif %}

customers as (
    select cast(null as {{ text_type() }}) as customer_id
    where 1 = 0
    {%- for table_name in tables['their_customers'] %}
    {%- set table_meta = raw_table_definition(table_name).meta %}
    {%- set new_files = files_to_scan.get(table_name, []) %}
    {#- staging runs after this model: its table is still the previous build's -#}
    {%- set previous_rows = existing_table_of_model(raw_table_staging_model(table_name)) %}
    {%- if new_files | length > 0 %}
    {%- set new_rows = read_raw(table_name, new_files) %}
    -- {{ table_name }}: the customers of the new rows
    union all
    select nullif(trim(new_rows.customer_id), '') as customer_id
    from {{ new_rows }} as new_rows
    {%- for key_column in table_meta.get('unique_across_customers', []) if previous_rows is not none %}
    -- {{ table_name }}: the customers of earlier rows with the {{ key_column }} of a new row
    union all
    select previous_rows.customer_id
    from {{ previous_rows }} as previous_rows
    where previous_rows.{{ key_column }} in (
        select nullif(trim(new_rows.{{ key_column }}), '') from {{ new_rows }} as new_rows
    )
    {%- endfor %}
    {%- endif %}
    {%- if rate_files and previous_rows is not none and table_meta.get('exchange_rate_day') %}
    -- {{ table_name }}: the customers of earlier rows converted at a rate that may change
    union all
    select previous_rows.customer_id
    from {{ previous_rows }} as previous_rows
    where cast(previous_rows.{{ table_meta['exchange_rate_day'] }} as date) >= (select new_rates.first_rate_day from new_rates)
    {%- endif %}
    {%- endfor %}
),

final as (
    select distinct customers.customer_id
    from customers
    cross join {{ ref('build_scope') }} as decision
    where customers.customer_id is not null
        and not decision.recompute_every_customer
)

select * from final

-- Every raw row the warehouse could not use, with its table, key and a reason a person understands: for
-- every raw table of _sources.yml, the rows its staging model rejects and those that the intermediate
-- model of meta rows_rejected_in rejects later. Exact copies of a row are collapsed before (see
-- source_row_count in staging), so a rejected row that was delivered twice appears once, with
-- raw_row_count 2. Under an adapter source (docs/adapters.md) the raw tables are the ones the adapter
-- derived, and the adapter's own rejections follow, named after their source table (stripe.<table>,
-- periods.subscription_periods).
{{- depend_on_raw_table_models(['staging', 'rows_rejected_in']) }}
with rejected as (
    select
        cast(null as {{ text_type() }}) as source_table,
        cast(null as {{ text_type() }}) as row_key,
        cast(null as {{ text_type() }}) as reason,
        0 as raw_row_count
    where 1 = 0
    {%- for table_name in raw_table_names() %}
    {%- set rejected_later_in = raw_table_definition(table_name).meta.get('rows_rejected_in') %}
    union all
    select
        '{{ table_name }}' as source_table,
        coalesce({{ raw_row_key(table_name) }}, '(no key; row ' || row_hash || ')') as row_key,
        rejection_reason as reason,
        source_row_count as raw_row_count
    from {{ raw_table_model(raw_table_staging_model(table_name)) }}
    where rejection_reason is not null
    {%- if rejected_later_in %}
    union all
    select
        '{{ table_name }}' as source_table,
        {{ raw_row_key(table_name) }} as row_key,
        rejection_reason as reason,
        1 as raw_row_count
    from {{ raw_table_model(rejected_later_in) }}
    where rejection_reason is not null
    {%- endif %}
    {%- endfor %}
    -- the rows of the selected adapter's source tables it rejected (docs/adapters.md; none for the contract)
    union all
    select
        source_table,
        row_key,
        reason,
        source_row_count as raw_row_count
    from {{ ref('int_adapter__row_outcomes') }}
    where outcome = 'rejected'
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

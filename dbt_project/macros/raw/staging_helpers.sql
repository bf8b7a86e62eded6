{#- Helpers shared by the staging models (one per raw table). -#}

{#- The contract's column names of one raw table, from _sources.yml. -#}
{% macro raw_column_names(table_name) -%}
    {%- if not execute -%}
        {{ return(['placeholder']) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in raw_table_definition(table_name).columns.values() -%}
        {%- do names.append(column.name) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}


{#- Exact copies of a raw row (a redelivery) are collapsed into one row that counts its copies: rows are
    grouped by all their contract columns (nulls group together), and row_hash, a hash of the content,
    names the distinct row. per_customer: read only the customers this build recomputes (D-25). -#}
{% macro collapse_exact_duplicates(table_name, per_customer=false) -%}
    {%- set columns = raw_column_names(table_name) -%}
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        source_row_count,
        {{ content_hash(columns) }} as row_hash
    from (
        select
            {%- for column in columns %}
            {{ column }},
            {%- endfor %}
            count(*) as source_row_count
        from {{ read_raw(table_name) }} as source_rows
        {%- if per_customer %}
        where {{ in_build_scope('source_rows.customer_id') }}
        {%- endif %}
        group by
            {%- for column in columns %}
            {{ column }}{{ "," if not loop.last }}
            {%- endfor %}
    ) as distinct_rows
{%- endmacro %}


{#- A readable excerpt of a raw value for a rejection reason (quoted, at most 60 characters). -#}
{% macro quoted_excerpt(raw_expression) -%}
    '''' || left({{ raw_expression }}, 60) || case when length({{ raw_expression }}) > 60 then '...' else '' end || ''''
{%- endmacro %}


{#- Reason text when a required raw value is missing or does not parse as the wanted type. -#}
{% macro required_value_reason(raw_expression, parsed_expression, column_label, type_label) -%}
    when nullif(trim({{ raw_expression }}), '') is null then 'missing {{ column_label }}'
    when {{ parsed_expression }} is null
        then '{{ column_label }} ' || {{ quoted_excerpt(raw_expression) }} || ' is not a valid {{ type_label }}'
{%- endmacro %}


{#- Reason text when an optional raw value is present but does not parse. -#}
{% macro optional_value_reason(raw_expression, parsed_expression, column_label, type_label) -%}
    when {{ is_unparseable(raw_expression, parsed_expression) }}
        then '{{ column_label }} ' || {{ quoted_excerpt(raw_expression) }} || ' is not a valid {{ type_label }}'
{%- endmacro %}


{#- Rank the rows sharing a key: valid rows first, then by the given preference, then by content
    (so the choice never depends on file order). Rank 1 is kept; the others are rejected. -#}
{% macro key_rank(key_columns, preference='') -%}
    row_number() over (
        partition by {{ key_columns }}
        order by
            case when rejection_reason is null then 0 else 1 end,
            {%- if preference %}
            {{ preference }},
            {%- endif %}
            row_hash
    )
{%- endmacro %}


{#- The body of a staging model's `ranked` CTE: every row of `relation` with its rank among the rows
    sharing its key (key_rank) in rank_column. -#}
{% macro rank_within_key(relation, key_columns, rank_column, preference='') -%}
    select
        {{ relation }}.*,
        {{ key_rank(key_columns, preference) }} as {{ rank_column }}
    from {{ relation }}
{%- endmacro %}


{#- The earliest day a raw row may be dated (var earliest_valid_date, YYYY-MM-DD): a 1900 date is an
    export error, and it would open a century of empty months. -#}
{% macro earliest_valid_date() -%}
    {{ return(var('earliest_valid_date') | string | trim) }}
{%- endmacro %}


{#- Reason text when a parsed date or timestamp (its UTC day) lies before earliest_valid_date(); the
    reason quotes the raw value. -#}
{% macro earliest_valid_date_reason(raw_expression, parsed_expression, column_label) -%}
    when cast({{ parsed_expression }} as date) < cast('{{ earliest_valid_date() }}' as date)
        then '{{ column_label }} ' || {{ quoted_excerpt('trim(' ~ raw_expression ~ ')') }}
            || ' is before the earliest valid date {{ earliest_valid_date() }}'
{%- endmacro %}

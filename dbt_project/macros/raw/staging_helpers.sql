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


{#- The meta of one column of a raw table ({} at parse time). -#}
{% macro raw_column_meta(table_name, column_name) -%}
    {%- if not execute -%}
        {{ return({}) }}
    {%- endif -%}
    {{ return(raw_table_definition(table_name).columns[column_name].meta) }}
{%- endmacro %}


{#- The name of each contract column in staging and after: its meta staged_as, else the raw name. -#}
{% macro staged_column_names(table_name) -%}
    {%- set names = [] -%}
    {%- for column in raw_column_names(table_name) -%}
        {%- do names.append(raw_column_meta(table_name, column).get('staged_as', column)) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}


{#- How a rejection reason names the type a value failed to parse as; none for the types whose parser
    never fails (currency, country, code: any text reads). -#}
{% macro raw_type_label(table_name, column_name) -%}
    {%- set data_type = raw_value_grammar()['column_types'].get(table_name, {}).get(column_name, 'text') -%}
    {%- set labels = {
        'integer': 'whole number', 'date': 'date', 'timestamp': 'ISO 8601 timestamp', 'boolean': 'boolean'
    } -%}
    {{ return('number' if data_type.startswith('decimal') else labels.get(data_type)) }}
{%- endmacro %}


{#- The select list that types every contract column of a raw table: a column with a declared type
    (raw_value_grammar.column_types) through parse_raw, any other column trimmed with empty as null; and,
    for each typed column, its raw text as <column>_raw, which rejection reasons quote. -#}
{% macro typed_raw_columns(table_name) -%}
    {%- set types = raw_value_grammar()['column_types'].get(table_name, {}) -%}
    {%- set typed = [] -%}
    {%- set raw_copies = [] -%}
    {%- for column in raw_column_names(table_name) -%}
        {%- if column in types -%}
            {%- do typed.append(parse_raw(table_name, column) ~ ' as ' ~ column) -%}
            {%- do raw_copies.append(column ~ ' as ' ~ column ~ '_raw') -%}
        {%- else -%}
            {%- do typed.append("nullif(trim(" ~ column ~ "), '') as " ~ column) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ (typed + raw_copies) | join(',\n        ') }}
{%- endmacro %}


{#- CASE WHEN branches, in the order given, for values of a raw table that cannot be used: 'missing
    <column>' when blank (unless blank_allowed); '<column> '<value>' is not a valid <type>' when present but
    unreadable as its declared type; 'unknown <column> '<value>'' for a code outside its meta
    accepted_values. -#}
{% macro unusable_value_reasons(table_name, column_names, blank_allowed=false) -%}
    {%- for column in column_names -%}
        {%- set type_label = raw_type_label(table_name, column) %}
        {%- if type_label and blank_allowed %}
        {{ optional_value_reason(column ~ '_raw', column, column, type_label) }}
        {%- elif type_label %}
        {{ required_value_reason(column ~ '_raw', column, column, type_label) }}
        {%- elif not blank_allowed %}
        when {{ column }} is null then 'missing {{ column }}'
        {%- endif %}
        {{- unknown_code_reason(table_name, column) }}
    {%- endfor %}
{%- endmacro %}


{#- The CASE WHEN branch of a code (a column of type code) outside its meta accepted_values; nothing for
    a column without accepted_values. -#}
{% macro unknown_code_reason(table_name, column_name) -%}
    {%- set accepted_values = raw_column_meta(table_name, column_name).get('accepted_values') -%}
    {%- if accepted_values %}
        when {{ column_name }} not in ({% for value in accepted_values %}{{ sql_string(value) }}{{ ", " if not loop.last }}{% endfor %})
            then 'unknown {{ column_name }} ' || {{ quoted_excerpt(column_name ~ '_raw') }}
    {%- endif -%}
{%- endmacro %}


{#- A staging model, written from its raw table's declaration in _sources.yml: exact copies of a raw row
    collapsed (collapse_exact_duplicates), every column typed (typed_raw_columns), each row flagged with the
    first rejection reason of the model's own checks (the CASE WHEN branches the model gives in its call
    block, tested in order), and the rows sharing the table's meta key ranked (rank_within_key): rank 1 is
    kept, the others are rejected with duplicate_reason. The columns keep the contract's order and names
    (meta staged_as renames), then source_row_count, row_hash and rejection_reason. -#}
{% macro staged_raw_table(table_name, per_customer=false, prefer='', duplicate_reason=none, defaults={}) -%}
    {%- set key_columns = raw_table_definition(table_name).meta.key if execute else ['placeholder'] -%}
    {%- set duplicate_reason = duplicate_reason
        or 'duplicate ' ~ key_columns | join(' and ') ~ ' with different content (kept one by content order)' -%}
    {%- set staged_names = staged_column_names(table_name) -%}
with collapsed as (
    {{ collapse_exact_duplicates(table_name, per_customer=per_customer) }}
),

typed as (
    select
        {{ typed_raw_columns(table_name) }},
        source_row_count,
        row_hash
    from collapsed
),

flagged as (
    select
        *,
        case
            {{- caller() }}
        end as rejection_reason
    from typed
),

ranked as (
    {{ rank_within_key('flagged', key_columns | join(', '), 'rank_in_key', prefer) }}
),

final as (
    select
        {%- for column in raw_column_names(table_name) %}
        {%- set staged_name = staged_names[loop.index0] %}
        {%- if column in defaults %}
        coalesce({{ column }}, {{ defaults[column] }}) as {{ staged_name }},
        {%- elif staged_name != column %}
        {{ column }} as {{ staged_name }},
        {%- else %}
        {{ column }},
        {%- endif %}
        {%- endfor %}
        source_row_count,
        row_hash,
        case
            when rejection_reason is null and rank_in_key > 1
                then {{ sql_string(duplicate_reason) }}
            else rejection_reason
        end as rejection_reason
    from ranked
)

select * from final
{%- endmacro %}

{#-
    Incremental builds (DECISIONS.md D-25). A build that starts from the previous build's warehouse file
    recomputes only the customers whose inputs changed: landing_files lists what landed since the previous
    build, landing_build_scope says whether everything must be rebuilt (and why), and
    landing_changed_customers lists the customers to recompute. The per-customer models (staging of the
    customer-keyed tables through int_customer_mrr_changes) are incremental: a pre-hook deletes the rows
    of the customers in scope and the model appends them again, computed from all of their rows. Marts
    are small and rebuilt every time.
-#}

{#- The tables whose rows belong to one customer, and the customer-keyed models are built from. -#}
{% macro customer_keyed_raw_tables() -%}
    {{ return(['customers', 'subscription_events', 'usage_charges', 'one_time_charges', 'usage_snapshots']) }}
{%- endmacro %}


{#- Config of a model that is recomputed per customer on incremental builds. scope: 'build' for the
    models up to int_customer_mrr_changes, 'marts' for the per-customer marts, which also depend on the
    as-of month. Other engines than DuckDB have no landing-folder listing, so every build is full there
    and these models are plain tables. -#}
{% macro per_customer_incremental_config(scope='build') -%}
    {{ config(
        materialized='incremental' if target.type == 'duckdb' else 'table',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_customers_in_build_scope('" ~ scope ~ "') }}",
        meta={'customer_scope': scope}
    ) }}
{%- endmacro %}


{#- A predicate on a customer id column: true for the rows to (re)compute in this build. On a full
    build, or when landing_build_scope says recompute every customer (rebuild_reason, or for the marts
    marts_rebuild_reason), every row; otherwise the customers in landing_changed_customers and the rows
    without a customer (rejected rows, recomputed every time). The scope is read when the model is
    compiled, so the query carries a plain filter. -#}
{% macro in_build_scope(customer_column, scope='build') -%}
    {#- ref() at parse time records the dependency; a unit test (never incremental) has no landing models -#}
    {%- if model.resource_type != 'unit_test' -%}
        {%- set build_scope = ref('landing_build_scope') -%}
        {%- set changed = ref('landing_changed_customers') -%}
    {%- endif -%}
    {%- if model.resource_type != 'unit_test' and is_incremental() and execute -%}
        {%- set reason_column = 'marts_rebuild_reason' if scope == 'marts' else 'rebuild_reason' -%}
        {%- set recomputes_everyone = run_query(
            'select count(*) from ' ~ build_scope ~ ' where ' ~ reason_column ~ ' is not null'
        ).columns[0].values()[0] > 0 -%}
    {%- else -%}
        {%- set recomputes_everyone = true -%}
    {%- endif -%}
    {%- if recomputes_everyone -%}
    (1 = 1)
    {%- else -%}
    (
        nullif(trim({{ customer_column }}), '') is null
        or trim({{ customer_column }}) in (select changed_customers.customer_id from {{ changed }} as changed_customers)
    )
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of the per-customer models: remove the rows that this build recomputes. -#}
{% macro delete_customers_in_build_scope(scope='build') -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ in_build_scope('customer_id', scope) }}
    {%- endif -%}
{%- endmacro %}


{#- What decides whether a previous build can be reused: the vars that change figures, the landing
    folder, and the code (var code_fingerprint, set by the orchestration to a hash of the dbt project's
    files; a dbt CLI user who edits models runs with --full-refresh). -#}
{% macro settings_fingerprint() -%}
    {%- set parts = [
        var('raw_dir') | string,
        var('reporting_currency') | string,
        var('reactivation_counts_as_expansion') | string,
        var('earliest_valid_date') | string,
        var('code_fingerprint', '') | string
    ] -%}
    {{ return(parts | join('|')) }}
{%- endmacro %}


{#- The files of the landing folder that are new since the previous build, for one table. -#}
{% macro new_landing_files(table_name) -%}
    {%- set listing = ref('landing_files') -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select file_path from {{ listing }}
        where table_name = '{{ table_name }}' and status = 'new'
        order by file_path
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}


{#- A model of the previous build (in this warehouse file), or none: the landing models read the
    previous build's staging without ref(), which would make a cycle. -#}
{% macro previous_build_relation(schema_name, identifier) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema=schema_name, identifier=identifier)) }}
{%- endmacro %}


{#- The files of every raw table with size, modification time and content hash (D-32). -#}
{% macro landing_file_listing() -%}
    {{ return(adapter.dispatch('landing_file_listing', 'saas_warehouse')()) }}
{%- endmacro %}


{#- The raw tables: the sources of _sources.yml (no list restated here). -#}
{% macro raw_table_names() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for node in graph.sources.values() if node.source_name == 'billing' -%}
        {%- do names.append(node.name) -%}
    {%- endfor -%}
    {{ return(names | sort) }}
{%- endmacro %}


{#- DuckDB reads a file as one value only up to 4 GiB - 1 byte (read_blob). Bigger files get no content
    hash and are compared by size and modification time; split such exports into a folder of parts. -#}
{% macro max_hashed_file_bytes() -%}
    {{ return(4294967295) }}
{%- endmacro %}


{#- duckdb: read_blob lists the files; md5(content) reads each file once (about 170 MB/s per thread; the
    same value as orchestration.landing.file_digest). -#}
{% macro duckdb__landing_file_listing() -%}
    {%- set selects = [] -%}
    {%- for table_name in raw_table_names() -%}
        {%- set files = raw_file_paths(table_name) -%}
        {%- if files | length > 0 -%}
            {%- set file_list -%}
                [{%- for file in files -%}{{ sql_string(file) }}{{ ", " if not loop.last }}{%- endfor -%}]
            {%- endset -%}
            {%- set sizes = run_query('select filename, size from read_blob(' ~ file_list ~ ')') -%}
            {%- set hashed = [] -%}
            {%- set too_big = [] -%}
            {%- for row in sizes.rows -%}
                {%- do (hashed if row[1] < max_hashed_file_bytes() else too_big).append(sql_string(row[0])) -%}
            {%- endfor -%}
            {%- for group, hash_expression in [(hashed, 'md5(content)'), (too_big, 'cast(null as varchar)')]
                if group | length > 0 -%}
                {%- do selects.append(
                    "select '" ~ table_name ~ "' as table_name, filename as file_path, cast(size as bigint) as file_size, "
                    ~ "cast(last_modified as timestamp) as last_modified, " ~ hash_expression ~ " as content_hash "
                    ~ "from read_blob([" ~ group | join(', ') ~ "])"
                ) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if selects | length == 0 -%}
        {{ default__landing_file_listing() }}
    {%- else -%}
        {{ selects | join('\n        union all\n        ') }}
    {%- endif -%}
{%- endmacro %}


{#- Other engines: no listing (every build is a full build). -#}
{% macro default__landing_file_listing() -%}
    select cast(null as {{ text_type() }}) as table_name, cast(null as {{ text_type() }}) as file_path,
        cast(null as bigint) as file_size, cast(null as timestamp) as last_modified,
        cast(null as {{ text_type() }}) as content_hash
    where 1 = 0
{%- endmacro %}


{#- Data tests of a per-customer model check the rows this build recomputed: on an incremental build, the
    other customers' rows are the previous build's, which passed the same tests. dbt wraps the model of
    every generic test in get_where_subquery (the `where` config); this adds the build scope. The keys
    that can clash across customers (event_id, item_id, charge_id) bring every customer sharing them into
    the scope (landing_changed_customers), so a scoped uniqueness test still sees every clash. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set scope_filter = customer_scope_test_filter(relation) -%}
    {%- set conditions = [] -%}
    {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- if scope_filter -%}{%- do conditions.append(scope_filter) -%}{%- endif -%}
    {%- if conditions | length > 0 -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}


{#- '' (test every row), or a predicate on customer_id that keeps the customers this incremental build
    recomputed in a per-customer model. -#}
{% macro customer_scope_test_filter(relation) -%}
    {%- if not execute or flags.FULL_REFRESH or relation is string or relation.identifier is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set scope = none -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == relation.identifier -%}
        {%- set scope = node.config.meta.get('customer_scope') -%}
        {%- if scope -%}
            {%- set build_scope = adapter.get_relation(database=target.database, schema='landing', identifier='landing_build_scope') -%}
            {%- set changed = adapter.get_relation(database=target.database, schema='landing', identifier='landing_changed_customers') -%}
            {%- if build_scope is not none and changed is not none -%}
                {%- set reason_column = 'marts_rebuild_reason' if scope == 'marts' else 'rebuild_reason' -%}
                {%- set everyone = run_query(
                    'select count(*) from ' ~ build_scope ~ ' where ' ~ reason_column ~ ' is not null'
                ).columns[0].values()[0] > 0 -%}
                {%- if not everyone -%}
                    {{ return('(customer_id is null or customer_id in (select customer_id from ' ~ changed ~ '))') }}
                {%- endif -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}

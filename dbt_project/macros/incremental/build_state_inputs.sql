{#-
    What the models of models/build_state/ read to decide what a build recomputes (D-25): the landing
    folder's files, the previous build in this warehouse file, and the settings. Three things are read
    while the model compiles, because SQL cannot express them: the files of the landing folder (DuckDB's
    read_blob, read_csv and read_parquet take their file list as a constant), the new files among them
    that a build reads to find its customers (the same), and whether a table of the previous build exists
    (a query cannot name a table that may be missing).
-#}

{#- What decides whether a previous build can be reused: the vars that change figures, the landing
    folder, and the code (var code_fingerprint, set by the orchestration to a hash of the dbt project's
    files; a dbt CLI user who edits models runs with --full-refresh). -#}
{% macro settings_fingerprint() -%}
    {%- set parts = [
        var('raw_dir') | string,
        source_kind(),
        var('reporting_currency') | string,
        var('reactivation_counts_as_expansion') | string,
        var('earliest_valid_date') | string,
        var('usage_billing_lag_days', 0) | string,
        var('code_fingerprint', '') | string
    ] -%}
    {{ return(parts | join('|')) }}
{%- endmacro %}


{#- The new files (build_landing_files) that this build reads to find the customers to recompute, as
    {table name: [paths]}: none when build_scope recomputes every customer anyway. Call it at the top of
    the model: its ref() calls record the dependencies while dbt parses. -#}
{% macro new_files_to_scan() -%}
    {%- set files = ref('build_landing_files') -%}
    {%- set decision = ref('build_scope') -%}
    {#- at parse time, and when compiling alone on a file where they were never built: nothing to read -#}
    {%- if not execute or load_relation(files) is none or load_relation(decision) is none -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set query -%}
        select files.table_name, files.file_path
        from {{ files }} as files
        cross join {{ decision }} as decision
        where files.status = 'new'
            and not decision.recompute_every_customer
        order by files.table_name, files.file_path
    {%- endset -%}
    {%- set by_table = {} -%}
    {%- for table_name, file_path in run_query(query).rows -%}
        {%- do by_table.setdefault(table_name, []).append(file_path) -%}
    {%- endfor -%}
    {{ return(by_table) }}
{%- endmacro %}


{#- A model's table as it exists in this warehouse file at this moment, found without ref(); none when it
    does not exist (or at parse time). The build-state models read the previous build's staging this way
    (staging runs after them, and a ref() would make a cycle); a data test reads the build-state tables
    this way (build_state_relation). -#}
{% macro existing_table_of_model(model_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}


{#- The files of every raw table with size, modification time and content hash (D-32). -#}
{% macro landing_file_listing() -%}
    {{ return(adapter.dispatch('landing_file_listing', 'saas_warehouse')()) }}
{%- endmacro %}


{#- DuckDB reads a file as one value only up to 4 GiB - 1 byte (read_blob). Bigger files get no content
    hash and are compared by size and modification time; split such exports into a folder of parts. -#}
{% macro max_hashed_file_bytes() -%}
    {{ return(4294967295) }}
{%- endmacro %}


{#- duckdb: read_blob lists the files; md5(content) reads each file once (about 170 MB/s per thread; the
    same value as orchestration.landing.file_digest). The sizes are read first, at compile time, to leave
    files too big to hash out of md5. -#}
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

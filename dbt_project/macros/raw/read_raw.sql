{#-
    read_raw(table_name): a relation with every contract column of one raw table, as text.

    Files are found in the landing folder (var raw_dir) as <table>.csv, <table>.parquet or
    <table>/*.csv|*.parquet. The columns come from the source definition in _sources.yml:
      - a required table with no file, or a file lacking a required column, fails the build with a
        message naming the file and the column (not a stack trace from deep inside dbt);
      - a missing optional table reads as an empty relation, a missing optional column as null;
      - extra columns are ignored.
    Every value is read as text so that staging can type it and flag what does not parse.
-#}
{% macro read_raw(table_name, only_files=none) -%}
    {%- set raw_source = source('billing', table_name) -%}
    {{ return(adapter.dispatch('read_raw', 'saas_warehouse')(table_name, only_files)) }}
{%- endmacro %}


{#- The files of one raw table in the landing folder, sorted (duckdb: glob at compile time). -#}
{% macro raw_file_paths(table_name) -%}
    {{ return(adapter.dispatch('raw_file_paths', 'saas_warehouse')(table_name)) }}
{%- endmacro %}


{% macro duckdb__raw_file_paths(table_name) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set raw_dir = (var('raw_dir') | string).rstrip('/') -%}
    {%- set patterns = [
        raw_dir ~ '/' ~ table_name ~ '.csv',
        raw_dir ~ '/' ~ table_name ~ '.parquet',
        raw_dir ~ '/' ~ table_name ~ '/*.csv',
        raw_dir ~ '/' ~ table_name ~ '/*.parquet'
    ] -%}
    {%- set glob_sql -%}
        {%- for pattern in patterns %}
        select file from glob({{ sql_string(pattern) }})
        {%- if not loop.last %} union all {% endif -%}
        {%- endfor %}
        order by file
    {%- endset -%}
    {{ return(run_query(glob_sql).columns[0].values() | list) }}
{%- endmacro %}


{% macro raw_table_definition(table_name) -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == 'billing' and node.name == table_name -%}
            {{ return(node) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("No raw source named '" ~ table_name ~ "' in _sources.yml") }}
{%- endmacro %}


{% macro sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}


{#- only_files: read just these files (the new files of an incremental build); none = all files. -#}
{% macro duckdb__read_raw(table_name, only_files=none) -%}
    {%- if not execute -%}
        {{ return('(select 1 as placeholder)') }}
    {%- endif -%}
    {%- set definition = raw_table_definition(table_name) -%}
    {%- set columns = definition.columns.values() | list -%}
    {%- set raw_dir = (var('raw_dir') | string).rstrip('/') -%}
    {%- set files = saas_warehouse.raw_file_paths(table_name) if only_files is none else only_files -%}

    {%- if files | length == 0 -%}
        {%- if definition.meta.get('required', false) and only_files is none -%}
            {{ exceptions.raise_compiler_error(
                "Raw table '" ~ table_name ~ "' is required but no file was found in the landing folder "
                ~ raw_dir ~ " (expected " ~ table_name ~ ".csv, " ~ table_name ~ ".parquet or a folder "
                ~ table_name ~ "/ of .csv or .parquet files). Set SAAS_RAW_DIR to your landing folder."
            ) }}
        {%- endif -%}
        {%- set empty_sql -%}
            (select
            {%- for column in columns %}
                cast(null as varchar) as {{ column.name }}{{ "," if not loop.last }}
            {%- endfor %}
            where false)
        {%- endset -%}
        {{ return(empty_sql) }}
    {%- endif -%}

    {%- set csv_files = [] -%}
    {%- for file in files if file.endswith('.csv') -%}
        {%- do csv_files.append(file) -%}
    {%- endfor -%}
    {%- if csv_files | length > 0 and csv_files | length < files | length -%}
        {{ exceptions.raise_compiler_error(
            "Raw table '" ~ table_name ~ "' mixes CSV and Parquet files in " ~ raw_dir ~ ": use one format per table."
        ) }}
    {%- endif -%}

    {%- set present_by_file = {} -%}
    {%- for file in files -%}
        {%- set describe_sql -%}
            describe select * from {{ saas_warehouse.raw_file_reader([file], csv_files | length > 0) }}
        {%- endset -%}
        {%- set file_columns = run_query(describe_sql).columns[0].values() | map('lower') | list -%}
        {%- for column in columns -%}
            {%- if column.meta.get('required', false) and column.name not in file_columns -%}
                {{ exceptions.raise_compiler_error(
                    "Raw file " ~ file ~ " lacks the required column '" ~ column.name ~ "' of table '"
                    ~ table_name ~ "' (it has: " ~ file_columns | join(', ') ~ ")."
                ) }}
            {%- endif -%}
        {%- endfor -%}
        {%- do present_by_file.update({file: file_columns}) -%}
    {%- endfor -%}

    {%- set all_present = [] -%}
    {%- for file_columns in present_by_file.values() -%}
        {%- do all_present.extend(file_columns) -%}
    {%- endfor -%}
    {%- set reader_sql -%}
        (select
        {%- for column in columns %}
            {% if column.name in all_present -%}
            cast({{ adapter.quote(column.name) }} as varchar)
            {%- else -%}
            cast(null as varchar)
            {%- endif %} as {{ column.name }}{{ "," if not loop.last }}
        {%- endfor %}
        from {{ saas_warehouse.raw_file_reader(files, csv_files | length > 0) }})
    {%- endset -%}
    {{ return(reader_sql) }}
{%- endmacro %}


{% macro raw_file_reader(files, is_csv) -%}
    {%- set file_list -%}
        [{%- for file in files -%}{{ sql_string(file) }}{{ ", " if not loop.last }}{%- endfor -%}]
    {%- endset -%}
    {%- if is_csv -%}
        read_csv({{ file_list }}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"',
            union_by_name = true, normalize_names = false)
    {%- else -%}
        read_parquet({{ file_list }}, union_by_name = true)
    {%- endif -%}
{%- endmacro %}

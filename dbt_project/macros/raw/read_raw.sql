{#-
    read_raw(table_name): a relation with every contract column of one raw table, as text.

    Files are found in the landing folder (var raw_dir) as <table>.csv, <table>.parquet or
    <table>/*.csv|*.parquet, extensions in any letter case (raw_file_paths, the same rule as
    orchestration/landing.py). CSV is read strictly: no row is skipped without an error. The columns
    come from the source definition in _sources.yml:
      - a required table with no file, or a file lacking a required column, fails the build with a
        message naming the file and the column (not a stack trace from deep inside dbt);
      - a missing optional table reads as an empty relation, a missing optional column as null;
      - extra columns are ignored.
    Every value is read as text so that staging can type it and flag what does not parse.
-#}
{% macro read_raw(table_name, only_files=none) -%}
    {%- set raw_source = source('billing', table_name) -%}
    {%- if table_name in adapter_derived_tables() and only_files is none -%}
        {#- ref() whatever the source, so that the project's graph is the same for every source -#}
        {%- set derived = ref('adapter_' ~ table_name) -%}
        {%- if source_kind() != 'contract' -%}
            {{ return(derived_raw_table(table_name, derived)) }}
        {%- endif -%}
    {%- elif table_name in adapter_derived_tables() and source_kind() != 'contract' and execute -%}
        {#- an adapter's build is always a full build (D-47): no new files to read -#}
        {{ return(empty_declared_table(raw_table_definition(table_name))) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return('(select 1 as placeholder)') }}
    {%- endif -%}
    {{ return(read_source_table(raw_table_definition(table_name), only_files)) }}
{%- endmacro %}


{#- A table of a dbt source (the raw contract's `billing`, or an adapter's `stripe` or `periods`) as a
    relation with every declared column as text: files in the landing folder on DuckDB, the source's schema
    elsewhere. only_files: read just these files (DuckDB; the new files of an incremental build). -#}
{% macro read_source_table(definition, only_files=none) -%}
    {{ return(adapter.dispatch('read_source_table', 'saas_warehouse')(definition, only_files)) }}
{%- endmacro %}


{#- An empty relation with the declared columns of a source table, as text. -#}
{% macro empty_declared_table(definition) -%}
    {{ return('(select ' ~ contract_columns_as_text(definition.columns.values() | list) ~ ' from (select 1 as no_rows) as no_rows where 1 = 0)') }}
{%- endmacro %}


{#- How messages name a table of a source: "Raw table 'customers'", "Stripe table 'price'", ... -#}
{% macro source_table_label(definition) -%}
    {%- set labels = {'billing': 'Raw table', 'stripe': 'Stripe table', 'periods': 'Periods table'} -%}
    {{ return(labels.get(definition.source_name, definition.source_name) ~ " '" ~ definition.name ~ "'") }}
{%- endmacro %}


{#- The files of one raw table in the landing folder, sorted (duckdb: glob at compile time). -#}
{% macro raw_file_paths(table_name) -%}
    {{ return(adapter.dispatch('raw_file_paths', 'saas_warehouse')(table_name)) }}
{%- endmacro %}


{#- Other engines read the source's schema, not files (default__read_source_table). -#}
{% macro default__raw_file_paths(table_name) -%}
    {{ return([]) }}
{%- endmacro %}


{#- The landing folder's one discovery rule (orchestration/landing.py, tested to agree): <table>.<ext> and
    <table>/*.<ext>, ext csv or parquet in any letter case (glob character classes), no dotfiles. The folder
    is escaped for glob ([, * and ? as character classes), so any folder name works. -#}
{% macro duckdb__raw_file_paths(table_name) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set raw_dir = glob_escape((var('raw_dir') | string).rstrip('/')) -%}
    {%- set patterns = [] -%}
    {%- for extension in ['csv', 'parquet'] -%}
        {%- do patterns.append(raw_dir ~ '/' ~ table_name ~ '.' ~ any_case_extension(extension)) -%}
        {%- do patterns.append(raw_dir ~ '/' ~ table_name ~ '/*.' ~ any_case_extension(extension)) -%}
    {%- endfor -%}
    {%- set glob_sql -%}
        select distinct file from (
        {%- for pattern in patterns %}
            select file from glob({{ sql_string(pattern) }})
            {%- if not loop.last %} union all {% endif -%}
        {%- endfor %}
        ) as found
        where not starts_with(parse_filename(file), '.')
        order by file
    {%- endset -%}
    {{ return(run_query(glob_sql).columns[0].values() | list) }}
{%- endmacro %}


{#- 'csv' -> '[cC][sS][vV]': a glob that matches the extension in any letter case. -#}
{% macro any_case_extension(extension) -%}
    {%- set classes = [] -%}
    {%- for letter in extension -%}
        {%- do classes.append('[' ~ letter | lower ~ letter | upper ~ ']') -%}
    {%- endfor -%}
    {{ return(classes | join('')) }}
{%- endmacro %}


{#- A literal path inside a DuckDB glob pattern: the characters glob reads as wildcards become classes. -#}
{% macro glob_escape(path) -%}
    {{ return(path | replace('[', '[[]') | replace('*', '[*]') | replace('?', '[?]')) }}
{%- endmacro %}


{#- The select list of a source table: each declared column as text, null when not among `present`,
    named as the column's meta read_as when it has one (a legacy Stripe table read as its successor). -#}
{% macro contract_columns_as_text(columns, present=[]) -%}
    {%- for column in columns %}
        {% if column.name in present -%}
        cast({{ adapter.quote(column.name) }} as {{ text_type() }})
        {%- else -%}
        cast(null as {{ text_type() }})
        {%- endif %} as {{ column.meta.get('read_as', column.name) }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{% macro sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}


{#- only_files: read just these files (the new files of an incremental build); none = all files. -#}
{% macro duckdb__read_source_table(definition, only_files=none) -%}
    {%- set table_name = definition.name -%}
    {%- set label = source_table_label(definition) -%}
    {%- set columns = definition.columns.values() | list -%}
    {%- set raw_dir = (var('raw_dir') | string).rstrip('/') -%}
    {%- set files = saas_warehouse.raw_file_paths(table_name) if only_files is none else only_files -%}

    {%- if files | length == 0 -%}
        {%- if definition.meta.get('required', false) and only_files is none -%}
            {{ exceptions.raise_compiler_error(
                label ~ " is required but no file was found in the landing folder "
                ~ raw_dir ~ " (expected " ~ table_name ~ ".csv, " ~ table_name ~ ".parquet or a folder "
                ~ table_name ~ "/ of .csv or .parquet files). Set SAAS_RAW_DIR to your landing folder."
            ) }}
        {%- endif -%}
        {{ return(empty_declared_table(definition)) }}
    {%- endif -%}

    {%- set csv_files = [] -%}
    {%- for file in files if (file | lower).endswith('.csv') -%}
        {%- do csv_files.append(file) -%}
    {%- endfor -%}
    {%- if csv_files | length > 0 and csv_files | length < files | length -%}
        {{ exceptions.raise_compiler_error(
            label ~ " mixes CSV and Parquet files in " ~ raw_dir ~ ": use one format per table."
        ) }}
    {%- endif -%}

    {%- set present_by_file = {} -%}
    {%- for file in files -%}
        {%- set describe_sql -%}
            describe select * from {{ saas_warehouse.raw_file_reader([file], csv_files | length > 0) }}
        {%- endset -%}
        {%- set file_columns = run_query(describe_sql).columns[0].values() | map('lower') | list -%}
        {%- do require_contract_columns(definition, columns, file_columns, "Raw file " ~ file) -%}
        {%- do present_by_file.update({file: file_columns}) -%}
    {%- endfor -%}

    {%- set all_present = [] -%}
    {%- for file_columns in present_by_file.values() -%}
        {%- do all_present.extend(file_columns) -%}
    {%- endfor -%}
    {%- set reader_sql -%}
        (select {{ contract_columns_as_text(columns, all_present) }}
        from {{ saas_warehouse.raw_file_reader(files, csv_files | length > 0) }})
    {%- endset -%}
    {{ return(reader_sql) }}
{%- endmacro %}


{% macro raw_file_reader(files, is_csv) -%}
    {%- set file_list -%}
        [{%- for file in files -%}{{ sql_string(file) }}{{ ", " if not loop.last }}{%- endfor -%}]
    {%- endset -%}
    {%- if is_csv -%}
        {#- nothing skipped silently (D-32): the same options as orchestration/landing.py CSV_READ_OPTIONS -#}
        read_csv({{ file_list }}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"', skip = 0, comment = '', strict_mode = true, null_padding = false, ignore_errors = false, union_by_name = true, normalize_names = false)
    {%- else -%}
        read_parquet({{ file_list }}, union_by_name = true)
    {%- endif -%}
{%- endmacro %}


{#- Engines that do not read files in place (PostgreSQL, Spark, and a warehouse loaded by Fivetran,
    Airbyte or COPY) read the tables from the source's schema (the contract: var raw_schema; Stripe: var
    stripe_schema, where the Fivetran connector writes), with the same checks: a missing required table or
    column fails with a message naming it, a missing optional table reads as empty and a missing optional
    column as null. `saas-warehouse load-raw` fills the raw schema. -#}
{% macro default__read_source_table(definition, only_files=none) -%}
    {%- set columns = definition.columns.values() | list -%}
    {%- set declared = source(definition.source_name, definition.name) -%}
    {%- set raw_relation = adapter.get_relation(
        database=declared.database, schema=declared.schema, identifier=declared.identifier
    ) -%}
    {%- if raw_relation is none or only_files is not none and only_files | length == 0 -%}
        {%- if raw_relation is none and definition.meta.get('required', false) -%}
            {{ exceptions.raise_compiler_error(
                source_table_label(definition) ~ " is required but " ~ declared
                ~ " does not exist. Load the landing folder first: saas-warehouse load-raw --target " ~ target.type ~ "."
            ) }}
        {%- endif -%}
        {{ return(empty_declared_table(definition)) }}
    {%- endif -%}
    {%- set present = adapter.get_columns_in_relation(raw_relation) | map(attribute='name') | map('lower') | list -%}
    {%- do require_contract_columns(definition, columns, present, "Raw table " ~ raw_relation) -%}
    {%- set reader_sql -%}
        (select {{ contract_columns_as_text(columns, present) }}
        from {{ raw_relation }})
    {%- endset -%}
    {{ return(reader_sql) }}
{%- endmacro %}


{#- Spark: register text Parquet files written by `saas-warehouse load-raw --target spark` as the tables
    of the raw schema. locations: {table name: folder}. -#}
{% macro register_raw_tables(locations) -%}
    {%- set raw_schema = var('raw_schema', 'raw') -%}
    {%- do run_query('create database if not exists ' ~ raw_schema) -%}
    {%- for table_name, location in locations.items() -%}
        {%- do run_query('drop table if exists ' ~ raw_schema ~ '.' ~ table_name) -%}
        {%- do run_query(
            'create table ' ~ raw_schema ~ '.' ~ table_name ~ ' using parquet location ' ~ sql_string(location)
        ) -%}
        {{ log('registered ' ~ raw_schema ~ '.' ~ table_name ~ ' at ' ~ location, info=true) }}
    {%- endfor -%}
{%- endmacro %}


{#- Spark: write every model of the given schemas (default: the marts) as Parquet files under
    directory/<schema>/<model>/ (how the tests read a Spark build back, and a way to hand marts to a BI tool). -#}
{% macro export_marts_to_parquet(directory, schemas=['marts']) -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.schema in schemas -%}
        {%- do run_query(
            'insert overwrite directory ' ~ sql_string(directory ~ '/' ~ node.schema ~ '/' ~ node.alias)
            ~ ' using parquet select * from ' ~ node.schema ~ '.' ~ node.alias
        ) -%}
        {{ log('exported ' ~ node.schema ~ '.' ~ node.alias, info=true) }}
    {%- endfor -%}
{%- endmacro %}


{#- Fails the build, naming the file or table, when a column the source requires is not present; also
    when none of a table's meta one_of_columns is (Stripe's invoice_line_item: price_id or plan_id). -#}
{% macro require_contract_columns(definition, columns, present, described_as) -%}
    {%- for column in columns -%}
        {%- if column.meta.get('required', false) and column.name not in present -%}
            {{ exceptions.raise_compiler_error(
                described_as ~ " lacks the required column '" ~ column.name ~ "' of table '"
                ~ definition.name ~ "' (it has: " ~ present | join(', ') ~ ")."
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set one_of = definition.meta.get('one_of_columns') or [] -%}
    {%- if one_of and not (one_of | select('in', present) | list) -%}
        {{ exceptions.raise_compiler_error(
            described_as ~ " of table '" ~ definition.name ~ "' lacks a column " ~ one_of | join(' or ')
            ~ " (it has: " ~ present | join(', ') ~ ")."
        ) }}
    {%- endif -%}
{%- endmacro %}
